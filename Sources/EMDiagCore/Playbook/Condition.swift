/// The closed set of match conditions a rule can use. Each kind documents its fields and the values it makes
/// available to the rule's `summary` template; `Condition` holds a parsed condition of each kind, and the
/// evaluator switches over it exhaustively, so adding a kind without teaching the engine does not compile.
package enum ConditionKind: String, CaseIterable, Sendable {
    case log, containerState, podStatus, event, secret, baseURL, helmRelease, argoApplication, httpCheck

    /// What the condition matches, for `docs/playbooks.md` and `emdiag playbooks explain`.
    package var documentation: String {
        switch self {
        case .log:
            "A regular expression over the current and/or previous logs of selected containers (init containers too). One streaming pass per file runs every pattern of every rule; a leading `kubectl logs --timestamps` time is skipped. Named captures become template values."
        case .containerState:
            "The state of selected containers or init containers: current state (`waiting`, `running`, `terminated`), its reason and message, the last termination's reason and exit code, the restart count, and how long a container has been running."
        case .podStatus:
            "A pod's phase, readiness and conditions (type, status, reason, message), e.g. `PodScheduled=False` with reason `Unschedulable`."
        case .event:
            "Kubernetes events by reason, type, involved object and message."
        case .secret:
            "A key of a named Secret: present, valid base64, and the shape of its value (absolute http/https URL, hex or base64 text of a given decoded length). The value itself is never copied into a finding."
        case .baseURL:
            "The host and scheme of a URL kept in a Secret (`base-url`) against the hostnames of HTTPRoutes, Gateway listeners and Ingresses and whether they terminate TLS."
        case .helmRelease:
            "The status of a Helm release's latest revision, from the `sh.helm.release.v1.*` Secrets or the bundle's `helm/<ns>/<release>.json`."
        case .argoApplication:
            "An Argo CD Application's `status.sync`, `status.health`, `status.conditions` and `status.operationState`."
        case .httpCheck:
            "The result of an HTTP check the collector ran (`checks/http/<name>.json`): failed, or its status code."
        }
    }

    /// The keys the condition accepts.
    package var fields: [String] {
        let pod = ["pods", "containers", "containerKind"]
        return switch self {
        case .log: pod + ["pattern", "literals", "ignoreCase", "streams", "context"]
        case .containerState:
            pod + ["state", "reason", "message", "lastReason", "exitCodes", "minRestarts", "runningFor", "command", "ready"]
        case .podStatus: ["pods", "phase", "ready", "condition"]
        case .event: ["reason", "type", "message", "involvedKind", "involvedName", "namespace"]
        case .secret: ["name", "namespace", "key", "expect", "length"]
        case .baseURL: ["secret", "namespace", "key"]
        case .helmRelease: ["release", "status"]
        case .argoApplication: ["name", "namespace", "sync", "health", "conditionType", "message", "operationPhase"]
        case .httpCheck: ["name", "status", "failed"]
        }
    }

    /// Template values the condition provides besides named captures (and the common `namespace`, `kind`, `name`).
    package var provides: [String] {
        switch self {
        case .log: ["pod", "container", "line", "stream", "file", "times"]
        case .containerState: ["pod", "container", "reason", "message", "exitCode", "restarts", "runningFor", "state"]
        case .podStatus: ["pod", "phase", "reason", "message"]
        case .event: ["reason", "message", "count", "object"]
        case .secret: ["secret", "key", "problem"]
        case .baseURL: ["secret", "key", "host", "scheme", "problem", "routeHosts"]
        case .helmRelease: ["release", "revision", "status", "description"]
        case .argoApplication: ["application", "sync", "health", "phase", "message", "conditionType"]
        case .httpCheck: ["check", "url", "status", "error"]
        }
    }
}

/// Which pods a condition looks at. All given fields must hold.
package struct PodSelector: Sendable, Hashable {
    package var name: PortableRegex?
    package var labels: LabelSelector?
    /// A component name of the playbooks (`postgresql`, `keycloak`, ...).
    package var component: String?
    package var namespace: String?

    package init(name: PortableRegex? = nil, labels: LabelSelector? = nil, component: String? = nil, namespace: String? = nil) {
        self.name = name
        self.labels = labels
        self.component = component
        self.namespace = namespace
    }
}

/// Regular containers, init containers, or both.
package enum ContainerKind: String, CaseIterable, Sendable, Hashable, Codable { case any, app, `init` }

/// Which containers of the selected pods a condition looks at. `name` must match the whole container name; its
/// named captures become template values (e.g. `wait-for-(?P<dependency>.+)`).
package struct ContainerSelector: Sendable, Hashable {
    package var pods = PodSelector()
    package var name: PortableRegex?
    package var kind: ContainerKind = .any
}

/// Log streams: the running container's log and the previous (crashed) instance's.
package enum LogStream: String, CaseIterable, Sendable, Hashable, Codable { case current, previous }

package struct LogCondition: Sendable, Hashable {
    package var containers: ContainerSelector
    package var pattern: PortableRegex
    package var ignoreCase: Bool
    package var streams: [LogStream]
    package var before: Int
    package var after: Int
}

package enum ContainerStateName: String, CaseIterable, Sendable, Hashable { case waiting, running, terminated }

package struct ContainerStateCondition: Sendable, Hashable {
    package var containers: ContainerSelector
    package var state: ContainerStateName?
    /// Whole-value match on the current state's reason.
    package var reason: PortableRegex?
    /// Match (with captures) on the current state's message, or the last termination's.
    package var message: PortableRegex?
    /// Whole-value match on `lastState.terminated.reason`.
    package var lastReason: PortableRegex?
    /// Exit code of the current or last termination.
    package var exitCodes: [Int]
    package var minRestarts: Int?
    /// The container is running (or waiting, for init containers not yet done) for at least this many seconds.
    package var runningFor: Int?
    /// Match (with captures) on the container's command and args, joined by spaces.
    package var command: PortableRegex?
    package var ready: Bool?
}

package struct PodConditionMatch: Sendable, Hashable {
    package var type: String
    package var status: String?
    package var reason: PortableRegex?
    package var message: PortableRegex?
}

package struct PodStatusCondition: Sendable, Hashable {
    package var pods: PodSelector
    package var phase: PortableRegex?
    package var ready: Bool?
    package var condition: PodConditionMatch?
}

package struct EventCondition: Sendable, Hashable {
    package var reason: PortableRegex?
    package var type: String?
    package var message: PortableRegex?
    package var involvedKind: String?
    package var involvedName: PortableRegex?
    package var namespace: String?
}

/// What a Secret key's value must look like; the condition fires when it does not.
package enum SecretExpectation: String, CaseIterable, Sendable, Hashable {
    /// The Secret and the key exist.
    case present
    /// The stored data is valid base64.
    case base64
    /// An absolute `http`/`https` URL with a host and no whitespace.
    case url
    /// Hex text; with `length`, of that many decoded bytes.
    case hex
    /// Base64 text; with `length`, of that many decoded bytes.
    case base64Text
}

package struct SecretCondition: Sendable, Hashable {
    package var name: String
    package var namespace: String?
    package var key: String
    package var expect: SecretExpectation
    package var length: Int?
}

package struct BaseURLCondition: Sendable, Hashable {
    package var secret: String
    package var namespace: String?
    package var key: String
}

package struct HelmReleaseCondition: Sendable, Hashable {
    package var release: PortableRegex?
    package var status: PortableRegex
}

package struct ArgoApplicationCondition: Sendable, Hashable {
    package var name: PortableRegex?
    package var namespace: String?
    package var sync: PortableRegex?
    package var health: PortableRegex?
    package var conditionType: PortableRegex?
    package var message: PortableRegex?
    package var operationPhase: PortableRegex?
}

package struct HTTPCheckCondition: Sendable, Hashable {
    package var name: PortableRegex?
    package var status: PortableRegex?
    package var failed: Bool
}

/// One parsed match condition.
package enum Condition: Sendable, Hashable {
    case log(LogCondition)
    case containerState(ContainerStateCondition)
    case podStatus(PodStatusCondition)
    case event(EventCondition)
    case secret(SecretCondition)
    case baseURL(BaseURLCondition)
    case helmRelease(HelmReleaseCondition)
    case argoApplication(ArgoApplicationCondition)
    case httpCheck(HTTPCheckCondition)

    package var kind: ConditionKind {
        switch self {
        case .log: .log
        case .containerState: .containerState
        case .podStatus: .podStatus
        case .event: .event
        case .secret: .secret
        case .baseURL: .baseURL
        case .helmRelease: .helmRelease
        case .argoApplication: .argoApplication
        case .httpCheck: .httpCheck
        }
    }

    /// Every regular expression of the condition (for capture names and linting).
    package var regexes: [PortableRegex] {
        switch self {
        case .log(let c): [c.pattern] + c.containers.regexes
        case .containerState(let c): c.containers.regexes + [c.reason, c.message, c.lastReason, c.command].compactMap { $0 }
        case .podStatus(let c):
            [c.pods.name, c.phase, c.condition?.reason, c.condition?.message].compactMap { $0 }
        case .event(let c): [c.reason, c.message, c.involvedName].compactMap { $0 }
        case .secret, .baseURL: []
        case .helmRelease(let c): [c.release, c.status].compactMap { $0 }
        case .argoApplication(let c):
            [c.name, c.sync, c.health, c.conditionType, c.message, c.operationPhase].compactMap { $0 }
        case .httpCheck(let c): [c.name, c.status].compactMap { $0 }
        }
    }
}

extension ContainerSelector {
    var regexes: [PortableRegex] { [pods.name, name].compactMap { $0 } }
}
