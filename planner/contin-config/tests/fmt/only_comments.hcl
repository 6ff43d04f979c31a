

# only comments


