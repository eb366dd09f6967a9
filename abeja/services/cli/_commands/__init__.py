"""The command line's commands, one module per family; the group and output stay above."""
