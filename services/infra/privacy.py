"""What one neighbour may see of another (脱敏): the one masking rule of every service.

A name is shown as its first character and a fixed ``**`` (王芳 -> 王**, 李秀英 -> 李**), the way
the large Chinese shops show buyers and reviewers. The mask is fixed rather than one ``*`` per
hidden character on purpose: in a community of a few hundred households the length of a given
name (one character or two) is itself a clue to who bought or wrote something, and a fixed mask
gives none.
"""

UNKNOWN_NEIGHBOUR = "邻居"  # a member whose name is not known (yet): a word, not a masked name
NAME_MASK = "**"


def mask_name(name):
    """What other neighbours see of ``name``: its first character and ``**``."""
    name = (name or "").strip()
    if not name or name == UNKNOWN_NEIGHBOUR:
        return UNKNOWN_NEIGHBOUR
    return name[0] + NAME_MASK
