#!/bin/sh
# HAProxy external-check for a Galera node: healthy when the node is Synced
# (wsrep_local_state 4) and ready for queries. A donor, a joiner or a node cut
# off from the primary component is not. HAProxy passes the server's address
# and port as $3 and $4. The account needs no privileges:
#   CREATE USER 'haproxy_check'@'<HAProxy address>';
ok=$(mariadb --no-defaults --protocol=tcp --connect-timeout=1 -h"$3" -P"$4" -uhaproxy_check -N -B -e \
  "SELECT COUNT(*) = 2 FROM information_schema.GLOBAL_STATUS WHERE (VARIABLE_NAME, VARIABLE_VALUE) IN (('WSREP_LOCAL_STATE', '4'), ('WSREP_READY', 'ON'))" 2>/dev/null)
[ "$ok" = 1 ]
