// Server-side printing (meta.k8s.io/v1 Table) for kubectl get, with kube's columns for CSRs and Nodes.
#pragma once

#include "tests/fakeapi/Api.h"

namespace fakeapi {

bool wantsTable(const std::string& acceptHeader);
std::string humanDuration(int64_t seconds);  // k8s.io/apimachinery/pkg/util/duration.HumanDuration
json tableColumns(const ResourceInfo& r);
json tableRow(const ResourceInfo& r, const json& obj, const std::string& includeObject);
// rows for objs; columns only when withColumns (watch events after the first leave them out, like kube).
json renderTable(const ResourceInfo& r, const std::vector<const json*>& objs, const std::string& includeObject, bool withColumns,
                 const json& listMeta = json::object());

}  // namespace fakeapi
