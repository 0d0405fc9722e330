"""The routing agent: runs beside HAProxy and applies routing-table changes without a reload.

Standard library only: in a cluster it runs in a slim Python sidecar with nothing but these files
mounted. The table lives in a routing directory laid out as kubelet lays out a ConfigMap volume
(`routing_dir`, whose `write_generation` is also how local mode and the tests write it); when its
`..data` link moves, the agent (`agent`) checks the new `split.map` and `revision`
(`split_table`), swaps HAProxy's split map atomically through the admin socket (`map_swap` with
the commands of `runtime_api`, sent by `admin_socket`) and reports the revision applied on
`GET /routing` (`status_server`), which the router's metrics port forwards. With a request log
(`request_log`), it also counts HAProxy's per-request lines into per-version request-time
histograms (`latency_windows`), served at `GET /latency`: the router's p99 per version, which
HAProxy's own metrics lack. `safe_values` holds
the patterns names and paths must match, shared with the router's renderer; `command_line` parses
and builds the agent's arguments.

    python -m router_agent --routing-dir D --admin-socket S --map-path D/split.map \\
        --listen 127.0.0.1:8406 [--request-log /var/lib/haproxy/requests.sock]

The package imports nothing here, so the router's renderer can use `safe_values` and
`runtime_api` without loading the agent's HTTP server.
"""
