#!/bin/sh
# Run on a manager by start_lab: remove what earlier labs left in the swarm; print each.
set -u
for s in $(docker stack ls --format '{{.Name}}' 2>/dev/null); do docker stack rm "$s" >/dev/null && echo "stack $s"; done
for s in $(docker service ls -q); do n=$(docker service inspect -f '{{.Spec.Name}}' "$s"); docker service rm "$s" >/dev/null && echo "service $n"; done
for i in $(seq 1 60); do [ -z "$(docker ps -q --filter label=com.docker.swarm.service.id)" ] && break; sleep 0.5; done
for s in $(docker secret ls --format '{{.Name}}'); do docker secret rm "$s" >/dev/null && echo "secret $s"; done
for s in $(docker config ls --format '{{.Name}}'); do docker config rm "$s" >/dev/null && echo "config $s"; done
for n in $(docker network ls --filter driver=overlay --format '{{.Name}}'); do
  [ "$n" = ingress ] || { docker network rm "$n" >/dev/null 2>&1 && echo "network $n"; }
done
# Every node in one inspect (each docker command is a process start: 0.5-1 s on an
# emulated CPU): ID, host name, availability, then its label keys.
docker node inspect -f '{{.ID}} {{.Description.Hostname}} {{.Spec.Availability}}{{range $k, $v := .Spec.Labels}} {{$k}}{{end}}' \
  $(docker node ls -q) 2>/dev/null |
while read -r id h a labels; do
  for l in $labels; do
    docker node update --label-rm "$l" "$id" >/dev/null && echo "label $l on $h"
  done
  [ "$a" = active ] || { docker node update --availability active "$id" >/dev/null && echo "$h back to active (was $a)"; }
done
if [ "$(docker info -f '{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}' 2>/dev/null)" = true ]; then
  docker swarm update --autolock=false >/dev/null && echo "autolock (turned off)"
fi
