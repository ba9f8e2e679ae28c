"""The report's words in Chinese (the default) and English; one dictionary per language, the same keys."""

from __future__ import annotations

from enum import StrEnum

from netops.errors import InvalidInputError


class Lang(StrEnum):
    ZH = "zh"
    EN = "en"


class Format(StrEnum):
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"
    JSON = "json"


def parse_lang(value: str) -> Lang:
    try:
        return Lang(value)
    except ValueError:
        raise InvalidInputError(f"language {value!r}: expected one of zh, en") from None


def parse_format(value: str) -> Format:
    try:
        return Format(value)
    except ValueError:
        raise InvalidInputError(f"format {value!r}: expected one of html, pdf, csv, json") from None


TEXT: dict[Lang, dict[str, str]] = {
    Lang.ZH: {
        "title": "电子政务网络运行考核报告",
        "period": "考核期",
        "scope": "范围",
        "region": "全区",
        "generated": "生成时间",
        "summary": "总体情况",
        "groups": "各地州（中心）排名",
        "nodes": "各节点（县市）排名",
        "rank": "排名",
        "name": "名称",
        "tier": "层级",
        "group": "所属地州",
        "availability": "节点可用率",
        "observed": "监测时长（小时）",
        "down": "中断时长（分钟）",
        "incidents": "故障数",
        "mttr": "平均修复时间（分钟）",
        "t5": "T-5 会场绿灯",
        "conferences": "会议（无红灯/总数）",
        "changes": "配置变更（成功/总数）",
        "backups": "配置备份（最新/总数）",
        "services": "业务可用率",
        "rollout": "建设进度",
        "nodes_total": "节点总数",
        "active": "已开通",
        "planned": "规划",
        "staging": "建设中",
        "late": "逾期",
        "late_sites": "逾期节点",
        "service_table": "各地州业务可用率（按业务）",
        "no_services": "本库无业务检测数据（service_checks 表不存在）：业务可用率未列出。",
        "chart_availability": "各地州节点可用率（%）",
        "chart_incidents": "各地州故障数与平均修复时间",
        "chart_mttr": "平均修复时间（分钟）",
        "method": "计算方法",
        "method_text": (
            "节点可用率 = 1 − 中断时长 ÷ 监测时长。监测时长：考核期内被轮询覆盖的时间"
            "（每个已存储的轮询周期覆盖其开始时刻起两个轮询间隔，超过即视为未监测，不计入分子分母）。"
            "中断时长：监测时间内该节点处于故障（除“仅管理面不可达”外的所有类型）影响范围内的时间；"
            "故障从发现时刻（opened_at）计至故障原因消失时刻（cause_gone_at），恢复观察期（hold-down）不计，"
            "仍未恢复的故障计至考核期末；跨考核期的故障只计期内部分。地州与全区的可用率为其各节点中断时长之和"
            "除以监测时长之和。规划中、建设中的节点不参加考核。平均修复时间：期内恢复的故障从发现到恢复的平均时长。"
            "时间按北京时间（UTC+8）划分考核期。"
        ),
        "backups_note": "配置备份“最新”：最近一次成功备份距报告基准时刻不超过",
        "hours": "小时",
        "none": "—",
    },
    Lang.EN: {
        "title": "E-government network assessment report",
        "period": "Period",
        "scope": "Scope",
        "region": "Whole region",
        "generated": "Generated",
        "summary": "Summary",
        "groups": "Prefectures (and centre), ranked",
        "nodes": "Nodes (counties and others), ranked",
        "rank": "Rank",
        "name": "Name",
        "tier": "Tier",
        "group": "Prefecture",
        "availability": "Node availability",
        "observed": "Observed (h)",
        "down": "Down (min)",
        "incidents": "Incidents",
        "mttr": "MTTR (min)",
        "t5": "Rooms GREEN at T-5",
        "conferences": "Conferences (no RED / held)",
        "changes": "Config changes (ok / all)",
        "backups": "Backups (current / all)",
        "services": "Service availability",
        "rollout": "Rollout progress",
        "nodes_total": "Nodes",
        "active": "Active",
        "planned": "Planned",
        "staging": "Staging",
        "late": "Late",
        "late_sites": "Late nodes",
        "service_table": "Service availability per prefecture and service",
        "no_services": "No service checks in this store (no service_checks table): service availability not shown.",
        "chart_availability": "Node availability per prefecture (%)",
        "chart_incidents": "Incidents and MTTR per prefecture",
        "chart_mttr": "MTTR (min)",
        "method": "How the figures are computed",
        "method_text": (
            "Node availability = 1 - down time / observed time. Observed time: the part of the period the polls "
            "covered (each stored poll cycle covers twice its interval from its start; longer gaps are unobserved "
            "and count neither way). Down time: observed time during which the node was inside the extent of an "
            "incident of any kind except 'unmanaged' (management plane only); an incident counts from its opening "
            "(opened_at) to the moment its cause went away (cause_gone_at), not the hold-down after it; one still "
            "open counts to the end of the period; only the part inside the period counts. Prefectures and the "
            "region: the sum of their nodes' down time over the sum of their observed time. Planned and staging "
            "nodes are not assessed. MTTR: mean time from opening to restoration of the incidents restored in the "
            "period. Periods are months (or years) in China Standard Time (UTC+8)."
        ),
        "backups_note": "Backup 'current': the last good backup at most this old at the report's reference time:",
        "hours": "h",
        "none": "-",
    },
}
