"""Serving a test server of tests/tools on 127.0.0.1 (imported by those scripts).

serve(handler, port_file): binds a threading HTTP server with HANDLER to 127.0.0.1 on a free
port, writes the port to PORT_FILE (atomically, once the socket is bound: a caller polls for
the file), and serves until the process is ended. Returns the exit status.
"""

import http.server
import os


def serve(handler, port_file):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
