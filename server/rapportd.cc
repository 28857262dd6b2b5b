// rapportd: the Rapport sync server. Serves the Sync service on --listen with the store in
// --data until SIGTERM or SIGINT, then shuts down gracefully (running calls get a deadline) and
// closes the store.
#include <signal.h>

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "server/sync_server.h"

int main(int argc, char** argv) {
  CLI::App app{"rapportd: the Rapport sync server"};
  rapport::server::ServerOptions options;
  options.listen = "127.0.0.1:7420";
  options.data_dir = "./rapport-data";
  int grace_ms = 5000;
  app.add_option("--listen", options.listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--data", options.data_dir, "store directory (created if absent)")
      ->capture_default_str();
  app.add_option("--shutdown-grace-ms", grace_ms, "time running calls get on shutdown")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // Block the signals before gRPC starts its threads, so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = rapport::server::SyncServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "rapportd: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("rapportd listening on %s (data %s)\n", (*server)->address().c_str(),
              options.data_dir.c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "rapportd: signal %d, shutting down\n", signal);
  (*server)->Shutdown(grace_ms);
  server->reset();  // closes the store
  return 0;
}
