#!/bin/sh
# Gradescope runs this once, as root, on its Ubuntu base image, to build the
# autograder's image: the packages smpjos needs to build and grade a lab,
# from Ubuntu's own archive.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
	make g++ gcc binutils gdb \
	qemu-system-x86 qemu-system-data seabios \
	grub-pc-bin grub-common xorriso mtools \
	python3 python3-pytest python3-pytest-xdist python3-pytest-timeout \
	zip unzip ca-certificates dpkg-dev debian-archive-keyring
# Lab 6's network server is built on lwIP's source from Debian's archive:
# fetched once here, and used by every submission's build (LWIP_DSC_DIR).
if [ -x /autograder/source/handout/conf/fetch-lwip.sh ]; then
	/autograder/source/handout/conf/fetch-lwip.sh /autograder/lwip
fi
