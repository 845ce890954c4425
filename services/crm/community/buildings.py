"""Buildings as residents write them (准入: a community may serve only its own buildings)."""

from services.infra.errors import invalid

BUILDING_SUFFIXES = ("号楼", "栋", "幢", "楼", "号")


def building_key(name):
    """A building as residents write it: "3", "3栋", "3号楼" and " 3 幢" are the same one."""
    key = "".join(str(name).split()).lower()
    for suffix in BUILDING_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def building_allowed(admission, building):
    allowed = admission.get("allowed_buildings") or []
    return not allowed or building_key(building) in {building_key(name) for name in allowed}


def require_building_allowed(admission, building):
    """Refuse (422) a building the community does not serve, naming the ones it does: joining
    and a member's own profile update say the same thing."""
    if not building_allowed(admission, building):
        raise invalid(
            {
                "building": [
                    "This community is for residents of its own buildings: "
                    + "、".join(admission["allowed_buildings"])
                    + "."
                ]
            },
            "Your building is not served by this community.",
        )
