#!/usr/bin/env bash
# The floor to compare the kit with: the same cluster made by hand with plain docker
# commands (parallel run, wait for dockerd, init, join, load the lab images), then removed.
# Usage: baseline.sh MANAGERS WORKERS   -> prints "ready SECONDS" and "down SECONDS"
set -euo pipefail
M=${1:-1}; W=${2:-2}; P=bl$$; NET=$P-net; SUB=172.30.$((RANDOM % 200)).0/24
pre=${SUB%.0/24}
now() { date +%s.%N; }
t0=$(now)
docker network create --subnet "$SUB" --label bench=$P "$NET" >/dev/null
run() { docker run -d --name "$P-$1" --hostname "$1" --network "$NET" --ip "$2" --label bench=$P \
  --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined \
  --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
  --device-cgroup-rule 'a *:* rwm' --cgroupns private --init --tmpfs /run --tmpfs /tmp \
  -v "$P-$1:/var/lib/docker" swarmlab/node:latest >/dev/null; }
nodes=()
for i in $(seq 1 "$M"); do run "m$i" "$pre.$((10 + i))" & nodes+=("m$i"); done
for i in $(seq 1 "$W"); do run "w$i" "$pre.$((100 + i))" & nodes+=("w$i"); done
wait
for n in "${nodes[@]}"; do until docker exec "$P-$n" docker version >/dev/null 2>&1; do sleep 0.2; done & done; wait
tar=$(mktemp); docker save swarmlab/web:v1 swarmlab/web:v2 swarmlab/web:broken swarmlab/tools:latest > "$tar"
for n in "${nodes[@]}"; do docker exec -i "$P-$n" docker load -q < "$tar" >/dev/null & done; wait; rm -f "$tar"
docker exec "$P-m1" docker swarm init --advertise-addr "$pre.11" >/dev/null
WT=$(docker exec "$P-m1" docker swarm join-token -q worker); MT=$(docker exec "$P-m1" docker swarm join-token -q manager)
for i in $(seq 1 "$W"); do docker exec "$P-w$i" docker swarm join --token "$WT" "$pre.11:2377" >/dev/null & done
for i in $(seq 2 "$M"); do docker exec "$P-m$i" docker swarm join --token "$MT" "$pre.11:2377" >/dev/null; done
wait
until [ "$(docker exec "$P-m1" docker node ls --format '{{.Status}}' | grep -c Ready)" -eq $((M + W)) ]; do sleep 0.3; done
t1=$(now)
docker rm -f -v $(docker ps -aq --filter label=bench=$P) >/dev/null
docker volume rm $(for n in "${nodes[@]}"; do echo "$P-$n"; done) >/dev/null
docker network rm "$NET" >/dev/null
t2=$(now)
echo "ready $(echo "$t1 - $t0" | bc)"
echo "down $(echo "$t2 - $t1" | bc)"
