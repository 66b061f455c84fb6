#include "tests/fakeapi/Store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <sstream>

namespace fakeapi {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

const json* path(const json& obj, const std::string& dotted) {
  const json* cur = &obj;
  for (const auto& part : split(dotted, '.')) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::vector<std::string> selectableFields(const ResourceInfo& r) {
  std::vector<std::string> f = {"metadata.name", "metadata.namespace"};
  if (r.resource == "certificatesigningrequests" || r.resource == "podcertificaterequests" || r.resource == "clustertrustbundles")
    f.push_back("spec.signerName");
  if (r.resource == "events")
    for (const char* e :
         {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
          "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"})
      f.emplace_back(e);
  if (r.resource == "nodes") f.emplace_back("spec.unschedulable");
  if (r.resource == "pods")
    for (const char* e : {"spec.nodeName", "spec.serviceAccountName", "status.phase"}) f.emplace_back(e);
  return f;
}

std::string randomSuffix() {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char b[5];
  RAND_bytes(b, sizeof b);
  std::string s;
  for (unsigned char c : b) s += alphabet[c % (sizeof alphabet - 1)];
  return s;
}

}  // namespace

Selector Selector::parse(const std::string& labelSelector, const std::string& fieldSelector, const ResourceInfo& r) {
  Selector s;
  auto parseReqs = [](const std::string& text, bool isField) {
    std::vector<Req> reqs;
    for (auto term : split(text, ',')) {
      term = trim(term);
      if (term.empty()) continue;
      Req q;
      size_t pos;
      if ((pos = term.find("!=")) != std::string::npos) {
        q = {trim(term.substr(0, pos)), trim(term.substr(pos + 2)), Op::Neq};
      } else if ((pos = term.find("==")) != std::string::npos) {
        q = {trim(term.substr(0, pos)), trim(term.substr(pos + 2)), Op::Eq};
      } else if ((pos = term.find('=')) != std::string::npos) {
        q = {trim(term.substr(0, pos)), trim(term.substr(pos + 1)), Op::Eq};
      } else if (!isField && term[0] == '!') {
        q = {trim(term.substr(1)), "", Op::NotExists};
      } else if (!isField && term.find_first_of(" ()<>") == std::string::npos) {
        q = {term, "", Op::Exists};
      } else {
        throw badRequest(std::string("unable to parse requirement: ") + (isField ? "invalid field selector: " : "") +
                         "unsupported selector \"" + term + "\"");
      }
      if (q.key.empty()) throw badRequest("unable to parse requirement: empty key in \"" + term + "\"");
      reqs.push_back(q);
    }
    return reqs;
  };
  s.labels_ = parseReqs(labelSelector, false);
  s.fields_ = parseReqs(fieldSelector, true);
  auto allowed = selectableFields(r);
  for (const auto& f : s.fields_)
    if (std::find(allowed.begin(), allowed.end(), f.key) == allowed.end()) throw badRequest("field label not supported: " + f.key);
  return s;
}

bool Selector::matches(const json& obj) const {
  static const json emptyObj = json::object();
  const json* labels = path(obj, "metadata.labels");
  if (!labels || !labels->is_object()) labels = &emptyObj;
  for (const auto& q : labels_) {
    auto it = labels->find(q.key);
    bool has = it != labels->end() && it->is_string();
    std::string v = has ? it->get<std::string>() : "";
    switch (q.op) {
      case Op::Eq:
        if (!has || v != q.value) return false;
        break;
      case Op::Neq:
        if (has && v == q.value) return false;
        break;
      case Op::Exists:
        if (!has) return false;
        break;
      case Op::NotExists:
        if (has) return false;
        break;
    }
  }
  for (const auto& q : fields_) {
    const json* f = path(obj, q.key);
    std::string v;
    if (f && f->is_string())
      v = f->get<std::string>();
    else if (f && f->is_boolean())
      v = f->get<bool>() ? "true" : "false";
    bool eq = v == q.value;
    if ((q.op == Op::Eq) != eq) return false;
  }
  return true;
}

Store::Store(size_t window) : window_(std::max<size_t>(window, 1)) {}

ObjPtr Store::get(const ResourceInfo& r, const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> g(mu_);
  auto b = objects_.find(r.qualified());
  if (b != objects_.end()) {
    auto it = b->second.find(key(ns, name));
    if (it != b->second.end()) return it->second;
  }
  throw notFound(r, name);
}

Store::ListResult Store::list(const ResourceInfo& r, const std::string& ns, const Selector& sel, size_t limit, const std::string& cont) {
  std::lock_guard<std::mutex> g(mu_);
  ListResult res;
  uint64_t snapId = 0;
  size_t offset = 0;
  if (!cont.empty()) {
    json tok;
    try {
      tok = json::parse(base64Decode(cont));
      snapId = tok.at("s").get<uint64_t>();
      offset = tok.at("o").get<size_t>();
    } catch (const std::exception&) {
      throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    }
    auto it = snapshots_.find(snapId);
    if (it == snapshots_.end() || it->second.rv < floor_)
      throw expired(
          "The provided continue parameter is too old to display a consistent list result. You can start a "
          "new list without the continue parameter.");
  } else {
    Snapshot snap{rv_, {}};
    auto b = objects_.find(r.qualified());
    if (b != objects_.end())
      for (const auto& [k, obj] : b->second) {
        if (!ns.empty() && (*obj)["metadata"].value("namespace", "") != ns) continue;
        if (sel.matches(*obj)) snap.items.push_back(obj);
      }
    if (limit == 0 || snap.items.size() <= limit) {
      res.items = std::move(snap.items);
      res.rv = rv_;
      return res;
    }
    snapId = nextSnapshot_++;
    snapshots_[snapId] = std::move(snap);
    while (snapshots_.size() > 64) snapshots_.erase(snapshots_.begin());
  }
  const Snapshot& snap = snapshots_.at(snapId);
  res.rv = snap.rv;
  size_t end = limit == 0 ? snap.items.size() : std::min(snap.items.size(), offset + limit);
  for (size_t i = offset; i < end; ++i) res.items.push_back(snap.items[i]);
  if (end < snap.items.size()) {
    res.cont = base64Encode(json{{"s", snapId}, {"o", end}}.dump());
    res.remaining = static_cast<int64_t>(snap.items.size() - end);
  } else {
    snapshots_.erase(snapId);
  }
  return res;
}

void Store::recordLocked(Event e) {
  history_.push_back(std::move(e));
  while (history_.size() > window_) {
    floor_ = std::max(floor_, history_.front().rv);
    history_.pop_front();
  }
  cv_.notify_all();
}

ObjPtr Store::create(const ResourceInfo& r, const std::string& ns, json obj) {
  std::lock_guard<std::mutex> g(mu_);
  json& md = obj["metadata"];
  if (!md.is_object()) md = json::object();
  std::string name = md.value("name", "");
  Bucket& b = bucket(r);
  if (name.empty()) {
    std::string prefix = md.value("generateName", "");
    do name = prefix + randomSuffix();
    while (b.count(key(ns, name)));
    md["name"] = name;
  }
  if (b.count(key(ns, name))) throw alreadyExists(r, name);
  md["uid"] = newUid();
  md["creationTimestamp"] = nowRfc3339();
  md["resourceVersion"] = std::to_string(++rv_);
  if (r.namespaced)
    md["namespace"] = ns;
  else
    md.erase("namespace");
  obj["apiVersion"] = r.apiVersion();
  obj["kind"] = r.kind;
  auto ptr = std::make_shared<const json>(std::move(obj));
  b[key(ns, name)] = ptr;
  recordLocked({rv_, "ADDED", r.qualified(), ns, ptr, nullptr});
  return ptr;
}

ObjPtr Store::update(const ResourceInfo& r, const std::string& ns, const std::string& name, const std::string& expectedRv,
                     const Mutator& mutate) {
  std::lock_guard<std::mutex> g(mu_);
  Bucket& b = bucket(r);
  auto it = b.find(key(ns, name));
  if (it == b.end()) throw notFound(r, name);
  const json& cur = *it->second;
  if (!expectedRv.empty() && expectedRv != cur["metadata"].value("resourceVersion", ""))
    throw conflict(r, name, "the object has been modified; please apply your changes to the latest version and try again");
  json next = mutate(cur);
  json& md = next["metadata"];
  if (!md.is_object()) md = json::object();
  for (const char* keep : {"uid", "creationTimestamp", "name", "namespace"}) {
    if (cur["metadata"].contains(keep))
      md[keep] = cur["metadata"][keep];
    else
      md.erase(keep);
  }
  md.erase("generateName");
  if (cur["metadata"].contains("generateName")) md["generateName"] = cur["metadata"]["generateName"];
  md["resourceVersion"] = std::to_string(++rv_);
  next["apiVersion"] = r.apiVersion();
  next["kind"] = r.kind;
  auto ptr = std::make_shared<const json>(std::move(next));
  ObjPtr prev = it->second;
  it->second = ptr;
  recordLocked({rv_, "MODIFIED", r.qualified(), ns, ptr, prev});
  return ptr;
}

ObjPtr Store::remove(const ResourceInfo& r, const std::string& ns, const std::string& name,
                     const std::function<void(const json& current)>& check) {
  std::lock_guard<std::mutex> g(mu_);
  Bucket& b = bucket(r);
  auto it = b.find(key(ns, name));
  if (it == b.end()) throw notFound(r, name);
  if (check) check(*it->second);
  json gone = *it->second;
  gone["metadata"]["resourceVersion"] = std::to_string(++rv_);
  auto ptr = std::make_shared<const json>(std::move(gone));
  ObjPtr prev = it->second;
  b.erase(it);
  recordLocked({rv_, "DELETED", r.qualified(), ns, ptr, prev});
  return ptr;
}

uint64_t Store::currentRv() const {
  std::lock_guard<std::mutex> g(mu_);
  return rv_;
}

void Store::compact() {
  std::lock_guard<std::mutex> g(mu_);
  floor_ = rv_;
  history_.clear();
  snapshots_.clear();
  cv_.notify_all();
}

bool Store::eventsSinceLocked(uint64_t after, std::vector<Event>& out) const {
  if (after < floor_) return false;
  auto it = std::upper_bound(history_.begin(), history_.end(), after, [](uint64_t v, const Event& e) { return v < e.rv; });
  out.insert(out.end(), it, history_.end());
  return true;
}

std::vector<ObjPtr> Store::snapshotLocked(const ResourceInfo& r, const std::string& ns) const {
  std::vector<ObjPtr> out;
  auto b = objects_.find(r.qualified());
  if (b == objects_.end()) return out;
  for (const auto& [k, obj] : b->second)
    if (ns.empty() || (*obj)["metadata"].value("namespace", "") == ns) out.push_back(obj);
  return out;
}

json Store::saveState() const {
  std::lock_guard<std::mutex> g(mu_);
  return stateLocked();
}

json Store::saveStateAndFreeze() {
  mu_.lock();  // never unlocked: the caller exits
  return stateLocked();
}

json Store::stateLocked() const {
  json s = {{"resourceVersion", rv_}, {"floor", floor_}, {"objects", json::object()}, {"history", json::array()}};
  for (const auto& [res, bucket] : objects_) {
    json arr = json::array();
    for (const auto& [k, obj] : bucket) arr.push_back(*obj);
    s["objects"][res] = arr;
  }
  for (const auto& e : history_)
    s["history"].push_back({{"rv", e.rv},
                            {"type", e.type},
                            {"resource", e.resource},
                            {"ns", e.ns},
                            {"object", *e.object},
                            {"prev", e.prev ? *e.prev : json(nullptr)}});
  return s;
}

void Store::loadState(const json& s) {
  std::lock_guard<std::mutex> g(mu_);
  rv_ = s.at("resourceVersion").get<uint64_t>();
  floor_ = s.value("floor", rv_);
  objects_.clear();
  history_.clear();
  for (const auto& [res, arr] : s.at("objects").items())
    for (const auto& obj : arr) {
      const auto& md = obj.at("metadata");
      objects_[res][key(md.value("namespace", ""), md.value("name", ""))] = std::make_shared<const json>(obj);
    }
  for (const auto& e : s.value("history", json::array())) {
    Event ev{e.at("rv").get<uint64_t>(), e.at("type"), e.at("resource"), e.at("ns"), std::make_shared<const json>(e.at("object")), nullptr};
    if (!e.at("prev").is_null()) ev.prev = std::make_shared<const json>(e.at("prev"));
    history_.push_back(std::move(ev));
  }
}

size_t Store::objectCount() const {
  std::lock_guard<std::mutex> g(mu_);
  size_t n = 0;
  for (const auto& [res, b] : objects_) n += b.size();
  return n;
}

}  // namespace fakeapi
