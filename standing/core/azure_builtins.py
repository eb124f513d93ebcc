"""Azure's built-in role definitions by their stable GUIDs: facts of the platform, read by the
Terraform converter (which names roles) and the privilege judge (which grades them)."""

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
