# The lab this tree is for (make handout writes it): the kernel's boot goes
# that far by default (lab=N).
TREE_LAB := 6
# The lab make grade, make handin and the course tools work on: this one,
# unless given (make grade LAB=2 grades lab 2's graders).
LAB ?= $(TREE_LAB)
LABSETUP ?= ./
