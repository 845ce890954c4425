"""Who may call a route: the roles a bearer token must carry."""

STAFF = ("leader", "staff")
MEMBER = ("member",)
ANYONE = ("leader", "staff", "member")
