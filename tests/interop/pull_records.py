#!/usr/bin/python3
"""Pulls every record from a rapportd with stubs generated at run time: an interop client.

Proves the sync contract is plain gRPC: nothing of Rapport's C++ is used. The .proto files under
--proto-root are compiled into a temporary directory by one of two Debian toolchains:

  --generator=protoc (default): protoc (protobuf-compiler 3.21) with grpc_python_plugin
      (protobuf-compiler-grpc 1.51) compiles rapport/v1/*.proto; these are the generator
      versions that match the runtime, python3-protobuf 3.21 and python3-grpcio 1.51.
  --generator=grpc_tools: `python3 -m grpc_tools.protoc` (python3-grpc-tools 1.14, which bundles
      protoc 3.5) compiles sync.proto and the files it imports. Its protoc predates proto3
      `optional`, so it cannot compile schema.proto; what it generates for the sync messages
      still runs on the newer runtime.

Then one rapport.v1.Sync/Session stream is opened: Hello (protocol version 1, a fresh replica
id, empty schema hash so the server skips the schema check, no pull checkpoints: a first sync),
then Welcome, the Pull batches and CaughtUp are read, the stream is half-closed and the server's
status awaited. Prints one JSON object on stdout:

  {"server_replica_id": "...", "head_seq": N, "checkpoint": N, "pull_batches": N,
   "records": [{"id": "<26-character id text>", "type": "customer"}, ...], "revocations": N}

Exit status: 0 on success, 1 if the session failed, 2 if Debian's grpc packages are missing.
Run it with Debian's interpreter, /usr/bin/python3 (python3-grpcio, python3-grpc-tools):
another python3 on PATH (pyenv) usually has no grpc. --token is sent as
`authorization: Bearer <token>` metadata.
"""

import argparse
import glob
import importlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import NoReturn

PROTOCOL_VERSION = 2
# Crockford base32, as core/crdt/record_id.cc prints ids: the 16 id bytes as a 130-bit
# big-endian number (two leading zero bits), five bits per character.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def record_id_text(raw: bytes) -> str:
    if len(raw) != 16:
        raise ValueError(f"record id must be 16 bytes, got {len(raw)}")
    number = int.from_bytes(raw, "big")
    return "".join(CROCKFORD[(number >> (5 * (25 - i))) & 31] for i in range(26))


def fail(message: str, status: int = 1) -> NoReturn:
    print(f"pull_records.py: {message}", file=sys.stderr)
    sys.exit(status)


def imports_of(proto_root: str, relative: str, seen: set) -> None:
    """Adds `relative` and every file it imports, transitively, to `seen`."""
    if relative in seen:
        return
    seen.add(relative)
    with open(os.path.join(proto_root, relative), encoding="utf-8") as proto:
        for line in proto:
            match = re.match(r'\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', line)
            if match and os.path.exists(os.path.join(proto_root, match.group(1))):
                imports_of(proto_root, match.group(1), seen)


def compile_protos(args, out_dir: str) -> None:
    proto_root = os.path.abspath(args.proto_root)
    if args.generator == "protoc":
        protos = sorted(glob.glob(os.path.join(proto_root, "rapport", "v1", "*.proto")))
        if not protos:
            fail(f"no .proto files under {proto_root}/rapport/v1 (pass --proto-root)")
        plugin = args.grpc_python_plugin or shutil.which("grpc_python_plugin")
        if not plugin:
            fail("grpc_python_plugin not found: install Debian's protobuf-compiler-grpc")
        command = [args.protoc, f"--plugin=protoc-gen-grpc_python={plugin}"]
    else:
        # python3-grpc-tools 1.14 bundles protoc 3.5, which predates proto3 `optional` (used by
        # schema.proto): compile what a session needs, sync.proto and what it imports.
        needed = set()
        imports_of(proto_root, os.path.join("rapport", "v1", "sync.proto"), needed)
        protos = [os.path.join(proto_root, relative) for relative in sorted(needed)]
        command = [sys.executable, "-m", "grpc_tools.protoc"]
    command += [f"-I{proto_root}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
                *protos]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        fail(f"{' '.join(command[:3])} failed ({result.returncode}):\n{result.stderr}")


def pull_all(address: str, token: str, timeout_s: float, modules) -> dict:
    import grpc  # checked importable in main

    sync_pb2, sync_pb2_grpc = modules
    caught_up = threading.Event()

    def requests():
        yield sync_pb2.ClientMessage(hello=sync_pb2.Hello(
            replica_id=secrets.token_hex(8), protocol_version=PROTOCOL_VERSION,
            schema_hash=""))
        # Nothing to push. Ending the iterator half-closes the stream, which tells the server
        # the session is over once it has sent everything; so wait for CaughtUp first.
        caught_up.wait()

    metadata = [("authorization", f"Bearer {token}")] if token else None
    out = {"server_replica_id": None, "head_seq": None, "checkpoint": None, "pull_batches": 0,
           "records": [], "revocations": 0}
    with grpc.insecure_channel(
            address, options=[("grpc.max_receive_message_length", 64 << 20)]) as channel:
        stub = sync_pb2_grpc.SyncStub(channel)
        try:
            for message in stub.Session(requests(), metadata=metadata, timeout=timeout_s):
                kind = message.WhichOneof("msg")
                if kind == "welcome":
                    out["server_replica_id"] = message.welcome.server_replica_id
                    out["head_seq"] = message.welcome.head_seq
                elif kind == "pull":
                    out["pull_batches"] += 1
                    out["revocations"] += len(message.pull.revocations)
                    for delta in message.pull.deltas:
                        out["records"].append({"id": record_id_text(delta.id),
                                               "type": delta.type})
                elif kind == "caught_up":
                    out["checkpoint"] = message.caught_up.checkpoint
                    caught_up.set()
                # push_ack cannot come (nothing pushed); unknown kinds are newer messages.
        except grpc.RpcError as error:
            fail(f"session with {address} failed: {error.code().name}: {error.details()}")
        finally:
            caught_up.set()  # never leave the request thread waiting
    if out["checkpoint"] is None:
        fail(f"session with {address} ended without CaughtUp")
    return out


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True, help="rapportd host:port")
    parser.add_argument("--proto-root", default=os.path.join(here, "..", "..", "proto"),
                        help="directory holding rapport/v1/*.proto")
    parser.add_argument("--token", default="",
                        help="sent as 'authorization: Bearer <token>' metadata")
    parser.add_argument("--timeout", type=float, default=30, help="session deadline, seconds")
    parser.add_argument(
        "--generator", choices=["protoc", "grpc_tools"], default="protoc",
        help="protoc: Debian's protoc and grpc_python_plugin compile rapport/v1/*.proto (the "
             "generator versions that match python3-protobuf and python3-grpcio); grpc_tools: "
             "python3-grpc-tools compiles sync.proto and its imports")
    parser.add_argument("--protoc", default="protoc", help="protoc for --generator=protoc")
    parser.add_argument("--grpc-python-plugin", default="",
                        help="grpc_python_plugin for --generator=protoc (default: from PATH)")
    args = parser.parse_args()

    try:
        importlib.import_module("grpc")
        if args.generator == "grpc_tools":
            importlib.import_module("grpc_tools.protoc")
    except ImportError as error:
        fail(f"{sys.executable} cannot import grpc ({error}); install Debian's python3-grpcio "
             "(and python3-grpc-tools for --generator=grpc_tools) and run this script with "
             "/usr/bin/python3", status=2)

    with tempfile.TemporaryDirectory(prefix="rapport-interop-") as generated:
        compile_protos(args, generated)
        sys.path.insert(0, generated)
        modules = (importlib.import_module("rapport.v1.sync_pb2"),
                   importlib.import_module("rapport.v1.sync_pb2_grpc"))
        result = pull_all(args.address, args.token, args.timeout, modules)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
