"""The built-in review rules, one plugin per rule so that each can be disabled by name.

Member rules (``hatch_stage_review_member``) look at the bytes of added and changed members;
release rules (``hatch_stage_review_release``) at the diff as a whole. Every flag a rule
raises carries the rule's name, which is also its plugin name.
"""
