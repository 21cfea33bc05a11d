#!/bin/sh
# One request: read the settings, ask the db for the record, answer with what it said.
setting() { [ -r "$API_CONFIG" ] && sed -n "s/^$1=//p" "$API_CONFIG" | tail -n 1; }
db_url=$(setting DB_URL); db_url=${db_url:-http://db:5984}
record=$(setting RECORD); record=${record:-greeting}
user=$(setting DB_USER); user=${user:-app}
if [ -n "${DB_PASSWORD_FILE:-}" ]; then pw=$(cat "$DB_PASSWORD_FILE" 2>/dev/null)
else pw=${DB_PASSWORD:-}; fi
auth=""
[ -n "$pw" ] && auth="Authorization: Basic $(printf '%s:%s' "$user" "$pw" | base64 | tr -d '\n')"
if [ -n "$auth" ]; then
  said=$(timeout 3 wget -q -O - --header "$auth" "$db_url/$record" 2>&1)
else
  said=$(timeout 3 wget -q -O - "$db_url/$record" 2>&1)
fi
rc=$?
if [ "$rc" -eq 0 ]; then
  printf 'Content-Type: text/plain\r\n\r\n'
else
  printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\n'
  said="no answer from $db_url ($(echo "$said" | tail -n 1))"
fi
echo "api: $(hostname)"
echo "db: $said"
