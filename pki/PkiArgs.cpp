#include "pki/PkiArgs.h"

#include <cctype>

namespace csrop::pki {

PkiArgs::PkiArgs(const std::vector<std::string>& args, const std::set<std::string>& valueFlags,
                 const std::set<std::string>& switches) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--")) throw PkiUsageError("unexpected argument \"" + a + "\"");
    std::string name = a.substr(2);
    std::optional<std::string> inlineValue;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name.resize(eq);
    }
    if (valueFlags.contains(name)) {
      if (!inlineValue) {
        if (i + 1 >= args.size()) throw PkiUsageError("--" + name + " needs a value");
        inlineValue = args[++i];
      }
      values_[name] = *inlineValue;
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
  return it->second;
}

std::string PkiArgs::required(const std::string& flag) const {
  auto v = value(flag);
  if (!v || v->empty()) throw PkiUsageError("--" + flag + " is required");
  return *v;
}

bool PkiArgs::has(const std::string& flag) const { return switches_.contains(flag); }

std::chrono::seconds parseDuration(const std::string& text) {
  auto bad = [&] { return PkiUsageError("invalid duration \"" + text + "\" (examples: 30d, 720h, 1h30m)"); };
  if (text.empty()) throw bad();
  long long total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9) throw bad();
    long long n = std::stoll(text.substr(start, i - start));
    long long unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'y': unit = 365 * 86400LL; break;
        default: throw bad();
      }
      ++i;
    } else if (any) {
      throw bad();
    }
    total += n * unit;
    // A century bounds every sum far below int64 overflow; no certificate should live longer.
    if (total > 100 * 365 * 86400LL + 25 * 86400LL) throw PkiUsageError("duration \"" + text + "\" is longer than 100 years");
    any = true;
  }
  return std::chrono::seconds(total);
}

int parsePositiveInt(const std::string& flag, const std::string& text) {
  bool digits = !text.empty() && text.size() <= 6;
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  int v = digits ? std::stoi(text) : 0;
  if (v <= 0) throw PkiUsageError("--" + flag + " must be a positive whole number, got \"" + text + "\"");
  return v;
}

}  // namespace csrop::pki
