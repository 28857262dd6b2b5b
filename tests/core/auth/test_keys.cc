#include "tests/core/auth/test_keys.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace rapport::testing {
namespace {

struct FileActionsDestroy {
  void operator()(posix_spawn_file_actions_t* actions) const {
    posix_spawn_file_actions_destroy(actions);
  }
};

std::string LogTail(const std::string& log_path) {
  std::ifstream in(log_path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status MakePrivate(const std::string& path) {
  if (chmod(path.c_str(), 0600) != 0) {
    return absl::InternalError(absl::StrCat("chmod 600 ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// A self-signed CA certificate with a fresh P-256 key.
absl::Status MakeCa(const std::string& dir, const std::string& name, const std::string& cn) {
  return RunOpenssl(
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".crt", "-days", "30",
       "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"},
      dir);
}

}  // namespace

absl::Status RunOpenssl(const std::vector<std::string>& args, const std::string& dir) {
  const std::string log_path = dir + "/openssl.log";
  std::vector<std::string> argv_strings = {"openssl"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string command = absl::StrJoin(argv_strings, " ");

  posix_spawn_file_actions_t actions_storage;
  if (posix_spawn_file_actions_init(&actions_storage) != 0) {
    return absl::InternalError("posix_spawn_file_actions_init failed");
  }
  std::unique_ptr<posix_spawn_file_actions_t, FileActionsDestroy> actions(&actions_storage);
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(actions.get(), STDOUT_FILENO, STDERR_FILENO);

  pid_t pid = 0;
  const int spawn_error =
      posix_spawnp(&pid, "openssl", actions.get(), nullptr, argv.data(), environ);
  if (spawn_error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start `", command, "`: ", std::strerror(spawn_error)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(
          absl::StrCat("waitpid for `", command, "`: ", std::strerror(errno)));
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  const std::string how = WIFEXITED(status)
                              ? absl::StrCat("exited with status ", WEXITSTATUS(status))
                              : absl::StrCat("was killed by signal ", WTERMSIG(status));
  return absl::InternalError(
      absl::StrCat("`", command, "` ", how, "; ", log_path, " ends:\n", LogTail(log_path)));
}

absl::StatusOr<RsaKeyFiles> GenerateRsaKeyPair(const std::string& dir, const std::string& name) {
  RsaKeyFiles files{dir + "/" + name + ".key", dir + "/" + name + ".pub"};
  if (absl::Status s = RunOpenssl({"genpkey", "-algorithm", "RSA", "-pkeyopt",
                                   "rsa_keygen_bits:2048", "-out", files.private_key_pem},
                                  dir);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MakePrivate(files.private_key_pem); !s.ok()) return s;
  if (absl::Status s = RunOpenssl(
          {"pkey", "-in", files.private_key_pem, "-pubout", "-out", files.public_key_pem}, dir);
      !s.ok()) {
    return s;
  }
  return files;
}

absl::StatusOr<TlsFiles> GenerateTlsFiles(const std::string& dir) {
  TlsFiles files;
  files.ca_cert = dir + "/ca.crt";
  files.ca_key = dir + "/ca.key";
  files.server_cert = dir + "/server.crt";
  files.server_key = dir + "/server.key";
  files.other_ca_cert = dir + "/other-ca.crt";
  files.other_ca_key = dir + "/other-ca.key";
  const std::string csr = dir + "/server.csr";
  const std::string extensions = dir + "/server.ext";

  if (absl::Status s = MakeCa(dir, "ca", "Rapport Test CA"); !s.ok()) return s;
  if (absl::Status s = MakeCa(dir, "other-ca", "Unrelated Test CA"); !s.ok()) return s;
  if (absl::Status s =
          RunOpenssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-nodes", "-keyout", files.server_key, "-out", csr, "-subj", "/CN=localhost"},
                     dir);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteText(extensions,
                                 "basicConstraints=critical,CA:FALSE\n"
                                 "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                 "extendedKeyUsage=serverAuth\n"
                                 "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RunOpenssl(
          {"x509", "-req", "-in", csr, "-CA", files.ca_cert, "-CAkey", files.ca_key, "-set_serial",
           "2", "-days", "30", "-extfile", extensions, "-out", files.server_cert},
          dir);
      !s.ok()) {
    return s;
  }
  for (const std::string* key : {&files.ca_key, &files.other_ca_key, &files.server_key}) {
    if (absl::Status s = MakePrivate(*key); !s.ok()) return s;
  }
  return files;
}

}  // namespace rapport::testing
