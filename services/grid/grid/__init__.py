"""grid — 网格: places, people, roles and the party organisation of a community."""
