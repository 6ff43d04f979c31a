a = 1
bb = 2
block {
	c = 3
}
