// libFuzzer target: the server's sync message handler. One SyncServer (the embeddable rapportd,
// auth off, store in a temporary directory) runs once per process on a loopback port, with one
// channel kept open to it; each input is one Sync/Session stream whose ClientMessages come from the
// input: a sequence of (varint length, serialized rapport.v1.ClientMessage) — Hellos, Pushes of
// arbitrary deltas, PushDones, in any order. The server must answer every stream with messages or
// an error status, never crash, hang or leak, and the store must stay consistent (one change-feed
// entry per record) whatever was pushed.
#include <stdlib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/grpcpp.h"
#include "rapport/v1/sync.grpc.pb.h"
#include "server/sync_server.h"

namespace {

constexpr int kMaxMessagesPerInput = 64;

// The server side, made once per process. Destroyed at exit: the server stops before the
// service and the store it uses, and the temporary store is removed.
class Harness {
 public:
  static Harness& Get() {
    static Harness harness;
    return harness;
  }
  rapport::v1::Sync::Stub& stub() { return *stub_; }
  rapport::store::RecordStore& store() { return server_->store(); }

 private:
  Harness() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/rapport-fuzz-session-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
    dir_ = pattern;
    rapport::server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.data_dir = dir_;
    options.auth.required = false;        // the handler, not the token check, is the subject
    options.max_pull_batch_bytes = 4096;  // several Pull batches once the store fills
    auto server = rapport::server::SyncServer::Start(options);
    if (!server.ok()) Die(server.status().ToString().c_str());
    server_ = *std::move(server);
    stub_ = rapport::v1::Sync::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }
  ~Harness() {
    stub_.reset();
    server_->Shutdown(/*grace_ms=*/0);
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  [[noreturn]] static void Die(const char* why) {
    std::fprintf(stderr, "sync_session_fuzzer: %s\n", why);
    std::abort();
  }

  std::string dir_;
  std::unique_ptr<rapport::server::SyncServer> server_;
  std::unique_ptr<rapport::v1::Sync::Stub> stub_;
};

}  // namespace

// Protobuf logs every invalid UTF-8 string it parses; hostile input is full of them.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& harness = Harness::Get();
  google::protobuf::io::CodedInputStream input(data, static_cast<int>(size));
  grpc::ClientContext context;
  // A safety net only: every stream ends when the client half-closes.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = harness.stub().Session(&context);
  uint32_t length = 0;
  for (int n = 0; n < kMaxMessagesPerInput && input.ReadVarint32(&length); ++n) {
    std::string bytes;
    if (!input.ReadString(&bytes, static_cast<int>(length))) break;
    rapport::v1::ClientMessage message;
    if (!message.ParseFromString(bytes)) continue;
    if (!stream->Write(message)) break;
  }
  stream->WritesDone();
  rapport::v1::ServerMessage reply;
  while (stream->Read(&reply)) {
  }
  const grpc::Status status = stream->Finish();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::fprintf(stderr, "sync_session_fuzzer: a session did not finish within 20 s\n");
    std::abort();
  }
  auto stats = harness.store().Stats();
  if (!stats.ok() || stats->records != stats->changes) {
    std::fprintf(stderr, "sync_session_fuzzer: store inconsistent after a session\n");
    std::abort();
  }
  return 0;
}
