#include "pki/PkiArgs.h"

#include <cctype>

#include "signers/Duration.h"

namespace csrop::pki {

PkiArgs::PkiArgs(const std::vector<std::string>& args, const std::set<std::string>& valueFlags, const std::set<std::string>& switches) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string name;
    std::optional<std::string> inlineValue;
    if (a.starts_with("--")) {
      name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inlineValue = name.substr(eq + 1);
        name.resize(eq);
      }
    } else if (a.size() >= 2 && a[0] == '-' && valueFlags.contains(a.substr(1, 1))) {
      name = a.substr(1, 1);
      if (a.size() > 2) inlineValue = a.substr(a[2] == '=' ? 3 : 2);
    } else {
      throw PkiUsageError("unexpected argument \"" + a + "\"");
    }
    if (valueFlags.contains(name)) {
      if (!inlineValue) {
        if (i + 1 >= args.size()) throw PkiUsageError("--" + name + " needs a value");
        inlineValue = args[++i];
      }
      values_[name].push_back(*inlineValue);
    } else if (switches.contains(name)) {
      if (inlineValue) throw PkiUsageError("--" + name + " takes no value");
      switches_.insert(name);
    } else {
      throw PkiUsageError("unknown flag --" + name);
    }
  }
}

std::optional<std::string> PkiArgs::value(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> PkiArgs::list(const std::string& flag) const {
  std::vector<std::string> out;
  auto it = values_.find(flag);
  if (it == values_.end()) return out;
  for (const auto& v : it->second) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = v.find(',', start);
      std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (item.empty()) throw PkiUsageError("--" + flag + " has an empty item in \"" + v + "\"");
      out.push_back(std::move(item));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

std::string PkiArgs::required(const std::string& flag) const {
  auto v = value(flag);
  if (!v || v->empty()) throw PkiUsageError("--" + flag + " is required");
  return *v;
}

bool PkiArgs::has(const std::string& flag) const { return switches_.contains(flag); }

std::chrono::seconds parseDuration(const std::string& text) {
  auto d = signers::parseDuration(text);
  if (!d) throw PkiUsageError("invalid duration \"" + text + "\": " + d.error() + " (examples: 30d, 720h, 1h30m)");
  return std::chrono::duration_cast<std::chrono::seconds>(d.value());
}

int parsePositiveInt(const std::string& flag, const std::string& text) {
  bool digits = !text.empty() && text.size() <= 6;
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  int v = digits ? std::stoi(text) : 0;
  if (v <= 0) throw PkiUsageError("--" + flag + " must be a positive whole number, got \"" + text + "\"");
  return v;
}

}  // namespace csrop::pki
