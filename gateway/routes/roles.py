"""Who may call a route: the roles a bearer token must carry."""

LEADER = ("leader",)  # what only the leader decides: money given back, rules, campaigns
STAFF = ("leader", "staff")
MEMBER = ("member",)
ANYONE = ("leader", "staff", "member")
OPERATOR = ("operator",)  # the platform operator (平台运维): of no community, from configuration
