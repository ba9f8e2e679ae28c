"""Interop: the inventory in the shapes other automation tools read (Nornir's SimpleInventory, Ansible's YAML
inventory), and the inventory built from a source of truth (Nautobot). Writes files; never a secret.

    Inventory ──hosts.host_facts──▶ HostFacts (one per device, secrets as env-var names)
                     ├── nornir.nornir_inventory  → hosts.yaml, groups.yaml, defaults.yaml
                     └── ansible.ansible_inventory → one YAML inventory file

    Nautobot REST API ──nautobot_api.NautobotSource──▶ Snapshot ──nautobot.build_sections──▶ YAML sections
                     ──importing.write_inventory_dir──▶ an inventory folder (validated, then swapped in)

Secrets stay where netops keeps them: an export names the environment variable netops itself reads
(``NETOPS_SECRET_<NAME>``, ``netops.secrets.env_name``), and the user's tool fills the value in at run time;
an import writes secret names only and refuses a literal value.
"""
