import EMDiagCore
import Foundation
import Testing
import Yams

/// The manifests under `deploy/`, loaded as Kubernetes objects.
struct DeployManifests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy")

    /// One object and the file it came from.
    struct Object {
        var file: String
        var json: JSONValue
        var kind: String { json["kind"]?.string ?? "" }
        var name: String { json[path: "metadata.name"]?.string ?? "" }
        var namespace: String? { json[path: "metadata.namespace"]?.string }
    }

    var objects: [Object] = []
    /// Files that are not YAML (the hook's entry script).
    var others: [String] = []

    static func load() throws -> DeployManifests {
        var out = DeployManifests()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") else {
                out.others.append(name)
                continue
            }
            out.objects += try objects(text, file: name)
        }
        return out
    }

    /// The documents of a multi-document YAML text, as JSON values.
    static func objects(_ text: String, file: String) throws -> [Object] {
        try Yams.load_all(yaml: text).map { document -> Object in
            let data = try JSONSerialization.data(withJSONObject: document)
            return Object(file: file, json: try JSONValue.parse(Array(data)))
        }
    }

    func objects(_ kind: String) -> [Object] { objects.filter { $0.kind == kind } }
}

/// One `verb resource[/name]` a RoleBinding gives the emdiag ServiceAccount in a namespace.
struct Grant: Hashable, Comparable, CustomStringConvertible {
    var namespace: String
    var group: String
    var resource: String
    var verb: String
    var resourceName: String?

    var description: String { "\(verb) \(resource)\(resourceName.map { "/\($0)" } ?? "") (\(group.isEmpty ? "core" : group)) in \(namespace)" }

    static func < (a: Grant, b: Grant) -> Bool { a.description < b.description }

    /// What a grant means for a permission of the plan (whose nil namespace is the release namespace).
    init(_ permission: GatherPlan.Permission, releaseNamespace: String) {
        namespace = permission.namespace ?? releaseNamespace
        group = permission.group
        resource = permission.resource
        verb = permission.verb
        resourceName = permission.resourceName
    }

    init(namespace: String, group: String, resource: String, verb: String, resourceName: String?) {
        self.namespace = namespace
        self.group = group
        self.resource = resource
        self.verb = verb
        self.resourceName = resourceName
    }

    /// Every grant of the Roles bound to `serviceAccount`, one per verb, resource and name; plus the problems
    /// found on the way (wildcards, ClusterRoles, bindings to missing Roles).
    static func granted(by manifests: DeployManifests, serviceAccount: DeployManifests.Object) -> (Set<Grant>, [String]) {
        var grants: Set<Grant> = []
        var problems: [String] = []
        for binding in manifests.objects("RoleBinding") + manifests.objects("ClusterRoleBinding") {
            let subjects = binding.json["subjects"]?.array ?? []
            guard subjects.contains(where: {
                $0["kind"]?.string == "ServiceAccount" && $0["name"]?.string == serviceAccount.name
                    && $0["namespace"]?.string == serviceAccount.namespace
            }) else { continue }
            guard binding.kind == "RoleBinding", binding.json[path: "roleRef.kind"]?.string == "Role",
                let namespace = binding.namespace
            else {
                problems.append("\(binding.file): \(binding.kind) \(binding.name) must be a RoleBinding to a Role")
                continue
            }
            let roleName = binding.json[path: "roleRef.name"]?.string
            guard let role = manifests.objects("Role").first(where: { $0.name == roleName && $0.namespace == namespace }) else {
                problems.append("\(binding.file): RoleBinding \(binding.name) names Role \(roleName ?? "-"), which is not in \(namespace)")
                continue
            }
            for rule in role.json["rules"]?.array ?? [] {
                func strings(_ key: String) -> [String] { (rule[key]?.array ?? []).compactMap(\.string) }
                let values = strings("apiGroups") + strings("resources") + strings("verbs") + strings("resourceNames")
                if values.contains(where: { $0.contains("*") }) { problems.append("\(role.file): Role \(role.name) has a wildcard") }
                let names: [String?] = strings("resourceNames").isEmpty ? [nil] : strings("resourceNames")
                for group in strings("apiGroups") {
                    for resource in strings("resources") {
                        for verb in strings("verbs") {
                            for name in names {
                                grants.insert(Grant(namespace: namespace, group: group, resource: resource, verb: verb, resourceName: name))
                            }
                        }
                    }
                }
            }
        }
        return (grants, problems)
    }

    /// Needed permissions not granted, and grants beyond the needed ones (a grant on any name covers a named need).
    static func compare(needed: Set<Grant>, granted: Set<Grant>, alsoAllowed: Set<Grant> = []) -> (missing: [Grant], extra: [Grant]) {
        let missing = needed.filter { !granted.contains($0) && !granted.contains($0.unnamed) }
        let extra = granted.subtracting(needed).subtracting(alsoAllowed)
        return (missing.sorted(), extra.sorted())
    }

    var unnamed: Grant { Grant(namespace: namespace, group: group, resource: resource, verb: verb, resourceName: nil) }
}

@Suite struct DeployManifestTests {
    static let releaseNamespace = "em"
    /// Allowed although the plan does not need it: `emdiag rbac` creates SelfSubjectAccessReviews.
    static let accessReview: Set<Grant> = [
        Grant(namespace: releaseNamespace, group: "authorization.k8s.io", resource: "selfsubjectaccessreviews", verb: "create", resourceName: nil)
    ]

    static func needed() throws -> Set<Grant> {
        Set(try PlaybookCatalog.load().gatherPlan.permissions.map { Grant($0, releaseNamespace: releaseNamespace) })
    }

    @Test func everyFileParsesAsKubernetesObjectsOfKnownKindsAndVersions() throws {
        let manifests = try DeployManifests.load()
        let versions = [
            "ServiceAccount": "v1", "PersistentVolumeClaim": "v1", "Job": "batch/v1",
            "Role": "rbac.authorization.k8s.io/v1", "RoleBinding": "rbac.authorization.k8s.io/v1",
        ]
        #expect(Set(manifests.objects.map(\.file)) == ["hook-job.yaml", "rbac.yaml"])
        #expect(manifests.others == ["emdiag-hook"])
        for object in manifests.objects {
            #expect(versions[object.kind] == object.json["apiVersion"]?.string, "\(object.file): \(object.kind) \(object.name)")
            #expect(!object.name.isEmpty && object.namespace != nil, "\(object.file): \(object.kind) needs a name and a namespace")
        }
        #expect(Set(manifests.objects.map(\.kind)) == Set(versions.keys))
    }

    @Test func theRolesGrantExactlyWhatTheBuiltInGatherPlanNeeds() throws {
        let manifests = try DeployManifests.load()
        let accounts = manifests.objects("ServiceAccount")
        try #require(accounts.count == 1)
        let (granted, problems) = Grant.granted(by: manifests, serviceAccount: accounts[0])
        #expect(problems == [])
        let needed = try Self.needed()
        #expect(Set(needed.map(\.namespace)) == ["argocd", "em", "gateway"])
        let (missing, extra) = Grant.compare(needed: needed, granted: granted, alsoAllowed: Self.accessReview)
        #expect(missing == [], "deploy/rbac.yaml lacks \(missing)")
        #expect(extra == [], "deploy/rbac.yaml grants more than the plan needs: \(extra)")
    }

    @Test func theComparisonCatchesAWriteVerbAWildcardAndAMissingRule() throws {
        let rbac = try String(contentsOf: DeployManifests.folder.appendingPathComponent("rbac.yaml"), encoding: .utf8)
        let widened = rbac.replacingOccurrences(of: "resources: [jobs]\n    verbs: [list]", with: "resources: [jobs]\n    verbs: [list, delete]")
            .replacingOccurrences(of: "verbs: [get]\n    resourceNames: [em-runtime]", with: "verbs: ['*']")
            .replacingOccurrences(of: "resources: [pods/log]", with: "resources: [pods/exec]")
        try #require(widened != rbac)
        let manifests = DeployManifests(objects: try DeployManifests.objects(widened, file: "rbac.yaml"))
        let (granted, problems) = Grant.granted(by: manifests, serviceAccount: manifests.objects("ServiceAccount")[0])
        let (missing, extra) = Grant.compare(needed: try Self.needed(), granted: granted)
        #expect(problems.contains { $0.contains("wildcard") })
        #expect(missing.map(\.description).contains("get pods/log (core) in em"))
        #expect(extra.map(\.description).contains("delete jobs (batch) in em"))
        #expect(extra.map(\.description).contains("get pods/exec (core) in em"))
    }

    @Test func theHookJobIsAHelmAndArgoHookRunningAsTheServiceAccount() throws {
        let manifests = try DeployManifests.load()
        let jobs = manifests.objects("Job")
        try #require(jobs.count == 1)
        let job = jobs[0].json
        let annotations = job[path: "metadata.annotations"]?.object.compactMapValues(\.string) ?? [:]
        let helmHooks = Set((annotations["helm.sh/hook"] ?? "").split(separator: ",").map(String.init))
        #expect(helmHooks == ["post-install", "post-upgrade"])
        #expect(annotations["helm.sh/hook-delete-policy"]?.split(separator: ",").contains("before-hook-creation") == true)
        #expect(annotations["argocd.argoproj.io/hook"] == "SyncFail")
        #expect(annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation")
        #expect(job[path: "spec.backoffLimit"]?.int == 0)
        let deadline = try #require(job[path: "spec.activeDeadlineSeconds"]?.int)
        #expect(deadline > 0 && deadline < 300, "must end before Helm's default 5-minute --timeout")
        #expect(job[path: "spec.template.spec.restartPolicy"]?.string == "Never")
        let account = try #require(manifests.objects("ServiceAccount").first)
        #expect(job[path: "spec.template.spec.serviceAccountName"]?.string == account.name)
        #expect(jobs[0].namespace == account.namespace)
        let command = job[path: "spec.template.spec.containers"]?[0]?["command"]?.array.compactMap(\.string)
        #expect(command == ["/usr/local/bin/emdiag-hook"])
    }
}
