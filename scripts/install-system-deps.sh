#!/usr/bin/env bash
# Debian packages the tests use as independent tools: promtool and the Prometheus server (prometheus),
# Alertmanager and amtool (prometheus-alertmanager), net-snmp's client tools (snmp)
# and agent (snmpd, the neutral agent of the benchmarks), sipp (sip-tester), PostgreSQL (the store's tests
# start a throwaway server of their own), chromium and a CJK font (the web board's browser test), systemd
# (systemd-analyze verify of the units in deploy/), poppler-utils and pango (the report's PDF and its test).
# Installs what is missing (as root, or through sudo); says what to install otherwise.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v snmpbulkwalk >/dev/null 2>&1 || need+=(snmp)
command -v snmpd >/dev/null 2>&1 || [ -x /usr/sbin/snmpd ] || need+=(snmpd)
[ -x /usr/sbin/snmptrapd ] || need+=(snmptrapd)  # tests/ingest: an independent receiver of the lab's traps
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)  # tests/report: PDF pages to PNG, pdftotext
ldconfig -p | grep -q 'libpangoft2-1.0.so' || need+=(libpango-1.0-0 libpangoft2-1.0-0)  # weasyprint (report PDF)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)  # tests/deploy: systemd-analyze verify of deploy/*.service
ls /usr/lib/*/faketime/libfaketimeMT.so.1 >/dev/null 2>&1 || need+=(libfaketime)  # tests/scenarios: the service's clock stepped
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)  # tests/interop: the test Nautobot's cache and queue
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "error: please install these Debian packages: ${need[*]}" >&2
  exit 1
fi
