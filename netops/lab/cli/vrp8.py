"""Huawei VRP8 (NE40E/CE style): two-stage configuration with candidate, commit, trial and rollback.

Part of ``netops.lab.cli``. Configuration lines go to the session's candidate (prompt ``[*name]``) until
``commit`` (prompt back to ``[~name]``). ``commit trial <s>`` applies at once and rolls back after ``s``
seconds unless a later ``commit`` confirms it (``abort trial`` rolls back at once). The lab accepts any
trial time from 1 s (a real device wants at least 60 s). ``rollback configuration to commit-id <id>`` /
``last <n>`` (user view) restore a commit point; ``display configuration commit list`` lists them.
Leaving system view with uncommitted edits asks ``[Y(yes)/N(no)/C(cancel)]`` as the real device does.
"""

from __future__ import annotations

import difflib

from netops.lab.cli.config import Edit
from netops.lab.cli.engine import Command, Session
from netops.lab.cli.facts import PeerRow, timestamp
from netops.lab.cli.huawei import HuaweiDialect

UNCOMMITTED = (
    "Warning: Uncommitted configurations found. Are you sure to commit them before exiting? "
    "[Y(yes)/N(no)/C(cancel)]:"
)


class Vrp8Dialect(HuaweiDialect):
    name = "huawei_vrp8"

    def config_marker(self, s: Session) -> str:
        return "*" if s.candidate else "~"

    def stage(self, session: Session, edit: Edit) -> None:
        """Keep the edit as candidate; an edit that changes nothing (entering an existing block) is dropped."""
        before = session.view_tree()
        after = self.keys.apply_all(before, [edit])
        if after != before:
            session.candidate.append(edit)

    def build_commands(self) -> list[Command]:
        own = [
            Command(("commit",), self.cmd_commit, "config", r"(trial( \d+)?|label \S+|comment .+)?"),
            Command(("abort", "trial"), self.cmd_abort_trial, "any"),
            Command(
                ("rollback", "configuration"),
                self.cmd_rollback,
                "exec",
                r"to commit-id \d+|last \d+|"
                r"to label \S+",
            ),
            Command(
                ("display", "configuration", "commit", "list"), self.cmd_commit_list, "any", r"(verbose)?"
            ),
            Command(("display", "configuration", "candidate"), self.cmd_candidate, "config", r"(changes)?"),
            Command(("display", "configuration", "trial", "status"), self.cmd_trial_status, "any"),
            Command(("clear", "configuration", "candidate"), self.cmd_clear_candidate, "config"),
        ]
        return own + super().build_commands()

    def ospf_brief(self, s: Session, peers: list[PeerRow]) -> str:
        """VRP8 (NE40E/CE) layout of ``display ospf peer brief``: MADJ legend and peer totals."""
        lines = [
            "(M) Indicates MADJ neighbor",
            "",
            "",
            f"          OSPF Process 1 with Router ID {s.state.device.address}",
            "                   Peer Statistic Information",
            f"Total number of peer(s): {len(peers):<8}",
            f" Peer(s) in full state: {len(peers):<8}",
            "-" * 77,
            f" {'Area Id':<16}{'Interface':<27}{'Neighbor id':<21}{'State':<12}",
        ]
        for p in peers:
            lines.append(f" {'0.0.0.0':<16}{p.interface:<27}{p.router_id:<21}{'Full':<12}")
        lines.append("-" * 77)
        return "\n".join(lines) + "\n"

    # leaving system view -----------------------------------------------------------------------------
    def cmd_quit(self, s: Session, rest: str) -> str:
        if s.candidate and len(s.frames) == 2:
            return self._ask_uncommitted(s, to_exec=False)
        return super().cmd_quit(s, rest)

    def cmd_return(self, s: Session, rest: str) -> str:
        if s.candidate:
            return self._ask_uncommitted(s, to_exec=True)
        return super().cmd_return(s, rest)

    def _ask_uncommitted(self, s: Session, to_exec: bool) -> str:
        def answer(text: str) -> str:
            choice = text[:1].lower()
            if choice == "c" or choice not in ("y", "n"):
                return ""
            if choice == "y":
                self._commit(s, "-")
            s.candidate.clear()
            if to_exec:
                s.to_exec()
            else:
                s.pop()
            return ""

        return s.ask(UNCOMMITTED, answer)

    # transactions ------------------------------------------------------------------------------------
    def _commit(self, s: Session, label: str) -> None:
        if s.candidate:
            s.store.apply(list(s.candidate), s.user, label)
            s.candidate.clear()

    def cmd_commit(self, s: Session, rest: str) -> str:
        words = rest.split()
        store = s.store
        if words[:1] == ["trial"]:
            seconds = int(words[1]) if len(words) > 1 else 600
            if seconds < 1:
                return "Error: The trial time must be at least 1 second in the lab (60 on a device).\n"
            if not s.candidate:
                return "Error: No configuration changes to commit for the trial.\n"
            previous = store.running
            self._commit(s, "trial")
            store.arm("trial", previous, seconds)
            return (
                f"Info: The system will roll back to the previous configuration in {seconds} seconds "
                "unless the trial is confirmed by running the commit command.\n"
            )
        confirmed = store.pending is not None and store.pending.kind == "trial" and store.confirm()
        label = words[1] if words[:1] == ["label"] and len(words) > 1 else "-"
        if not s.candidate:
            return "Info: The trial commit has been confirmed.\n" if confirmed else ""
        self._commit(s, label)
        return ""

    def cmd_abort_trial(self, s: Session, rest: str) -> str:
        if s.store.pending is None or s.store.pending.kind != "trial":
            return "Error: No trial configuration is running.\n"
        s.store.revert_now(s.user)
        return "Info: The trial was aborted and the configuration rolled back.\n"

    def cmd_rollback(self, s: Session, rest: str) -> str:
        words = rest.split()
        store = s.store
        store.disarm()
        if words[0] == "last":
            ok = store.rollback_last(int(words[1]), s.user)
        elif words[1] == "label":
            point = next((p for p in store.commits if p.label == words[2]), None)
            ok = point is not None and store.rollback_to(point.id, s.user)
        else:
            ok = store.rollback_to(int(words[2]), s.user)
        if not ok:
            return "Error: The specified rollback point does not exist.\n"
        return "Info: Rollback configuration succeeded.\n"

    def cmd_commit_list(self, s: Session, rest: str) -> str:
        points = s.store.commits
        lines = [
            "Max number of commit points: 50",
            f"Number of commit points: {len(points)}",
            "-" * 77,
            f" {'No.':<5}{'CommitId':<14}{'Label':<24}{'User':<14}TimeStamp",
            "-" * 77,
        ]
        for no, p in enumerate(reversed(points), start=1):
            lines.append(f" {no:<5}{p.id:<14}{p.label:<24}{p.user:<14}{timestamp(p.time)}")
        return "\n".join(lines) + "\n"

    def cmd_candidate(self, s: Session, rest: str) -> str:
        tree = s.view_tree()
        if rest != "changes":
            return self.render(tree, s)
        old = self.render(s.store.running, s).splitlines()[2:]
        new = self.render(tree, s).splitlines()[2:]
        diff = [
            ln for ln in difflib.unified_diff(old, new, lineterm="", n=1) if not ln.startswith(("---", "+++"))
        ]
        return "\n".join(diff) + "\n" if diff else ""

    def cmd_clear_candidate(self, s: Session, rest: str) -> str:
        s.candidate.clear()
        return ""

    def cmd_trial_status(self, s: Session, rest: str) -> str:
        left = s.store.seconds_left()
        if left is None:
            return "Trial: no\n"
        return f"Trial: yes\nTime left: {int(left)} seconds\n"
