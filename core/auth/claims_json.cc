#include "core/auth/claims_json.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "core/string_view_compat.h"

namespace rapport::auth::internal {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// A JSON string literal. Non-ASCII UTF-8 passes through (JSON text is UTF-8).
std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    out += JsonString(items[i]);
  }
  return out + "]";
}

absl::StatusOr<Struct> ParseObject(std::string_view json, std::string_view what) {
  Struct object;
  const auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &object);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token's ", AV(what), " is not a JSON object"));
  }
  return object;
}

absl::StatusOr<std::string> StringClaim(const Value& value, std::string_view name) {
  if (value.kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat("claim \"", AV(name), "\" must be a string"));
  }
  return value.string_value();
}

absl::StatusOr<std::vector<std::string>> StringArrayClaim(const Value& value,
                                                          std::string_view name) {
  if (value.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(
        absl::StrCat("claim \"", AV(name), "\" must be an array of strings"));
  }
  std::vector<std::string> out;
  for (const Value& item : value.list_value().values()) {
    ASSIGN_OR_RETURN(std::string s, StringClaim(item, name));
    out.push_back(std::move(s));
  }
  return out;
}

// NumericDate (RFC 7519 2): seconds since the epoch. Fractions are refused rather than rounded.
absl::StatusOr<int64_t> NumericDateClaim(const Value& value, std::string_view name) {
  constexpr double kLimit = 9007199254740992.0;  // 2^53: exact in a JSON (double) number
  if (value.kind_case() != Value::kNumberValue ||
      std::trunc(value.number_value()) != value.number_value() ||
      std::fabs(value.number_value()) > kLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("claim \"", AV(name), "\" must be a whole number of seconds since 1970"));
  }
  return static_cast<int64_t>(value.number_value());
}

}  // namespace

std::string HeaderJson(std::string_view alg) {
  return absl::StrCat("{\"alg\":", JsonString(alg), ",\"typ\":\"JWT\"}");
}

std::string PayloadJson(const Claims& claims) {
  return absl::StrCat("{\"iss\":", JsonString(claims.issuer),
                      ",\"aud\":", JsonString(claims.audience),
                      ",\"sub\":", JsonString(claims.subject), ",\"exp\":", claims.expires_at,
                      ",\"role\":", JsonString(RoleName(claims.role)),
                      ",\"territories\":", JsonStringArray(claims.territories),
                      ",\"branches\":", JsonStringArray(claims.branches), "}");
}

absl::StatusOr<std::string> ParseHeaderAlg(std::string_view header_json) {
  ASSIGN_OR_RETURN(Struct header, ParseObject(header_json, "header"));
  const auto& fields = header.fields();
  if (fields.find("crit") != fields.end()) {
    return absl::InvalidArgumentError(
        "the token's header has \"crit\" extensions, which this server does not support");
  }
  if (auto typ = fields.find("typ"); typ != fields.end()) {
    if (typ->second.kind_case() != Value::kStringValue ||
        !absl::EqualsIgnoreCase(typ->second.string_value(), "JWT")) {
      return absl::InvalidArgumentError("the token's header \"typ\" is not \"JWT\"");
    }
  }
  auto alg = fields.find("alg");
  if (alg == fields.end() || alg->second.kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError("the token's header has no \"alg\" string");
  }
  return alg->second.string_value();
}

absl::StatusOr<ReceivedClaims> ParsePayload(std::string_view payload_json) {
  ASSIGN_OR_RETURN(Struct payload, ParseObject(payload_json, "payload"));
  ReceivedClaims out;
  for (const auto& [name, value] : payload.fields()) {
    if (name == "sub") {
      ASSIGN_OR_RETURN(out.subject, StringClaim(value, name));
    } else if (name == "role") {
      ASSIGN_OR_RETURN(out.role, StringClaim(value, name));
    } else if (name == "territories") {
      ASSIGN_OR_RETURN(out.territories, StringArrayClaim(value, name));
    } else if (name == "branches") {
      ASSIGN_OR_RETURN(out.branches, StringArrayClaim(value, name));
    } else if (name == "exp") {
      ASSIGN_OR_RETURN(out.expires_at, NumericDateClaim(value, name));
    } else if (name == "nbf") {
      ASSIGN_OR_RETURN(out.not_before, NumericDateClaim(value, name));
    } else if (name == "iss") {
      ASSIGN_OR_RETURN(out.issuer, StringClaim(value, name));
    } else if (name == "aud") {
      if (value.kind_case() == Value::kStringValue) {
        out.audiences = {value.string_value()};
      } else {
        ASSIGN_OR_RETURN(out.audiences, StringArrayClaim(value, name));
      }
    }
    // Other claims (iat, jti, ...) are allowed and ignored.
  }
  return out;
}

}  // namespace rapport::auth::internal
