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
	zip unzip ca-certificates
