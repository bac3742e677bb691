# Which lab this tree is (used by `make handout` and `make handin`).
LAB ?= 4
LABSETUP ?= ./
