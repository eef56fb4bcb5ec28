import Foundation
import MailgateService
import MailgateTestSupport
import Testing
import Yams

/// `deploy/` cannot be run here (no Docker, no cluster, no systemd), so these tests hold
/// its files to the package and to a running server: every path, port, probe, argument
/// and metric they name must exist.
@Suite("Deployment files")
struct DeployManifestTests {
    static var mailgate: URL { repositoryRoot().appendingPathComponent(".build/debug/mailgate") }

    @Test("the kustomization lists every manifest, each parses, and names match across objects")
    func kustomization() throws {
        let documents = try DeployFiles.kubernetesDocuments()
        let kustomization = try DeployFiles.object("Kustomization", in: documents)
        let listed = Set((kustomization["resources"] as? [String]) ?? [])
        let files = Set(documents.map(\.file)).subtracting(["kustomization.yaml"])
        #expect(listed == files, "resources in kustomization.yaml and files in deploy/kubernetes differ")
        for (file, object) in documents where object["kind"] as? String != "Kustomization" {
            #expect(
                object["apiVersion"] is String && object.string("metadata.name") != nil,
                "\(file) lacks apiVersion or metadata.name"
            )
        }
        let imageNames = Set(kustomization.list("images").compactMap { $0["name"] as? String })
        for (file, object) in documents {
            for container in object.list("spec.template.spec.containers")
                + object.list("spec.jobTemplate.spec.template.spec.containers")
            {
                let image = try #require(container["image"] as? String)
                #expect(
                    imageNames.contains(String(image.split(separator: ":")[0])),
                    "\(file): image \(image) is not set by the kustomization"
                )
            }
        }
    }

    @Test(
        "the Deployment runs 3 non-root replicas whose probes, ports and settings agree with the ConfigMap, Service, PDB and NetworkPolicy"
    )
    func deployment() throws {
        let documents = try DeployFiles.kubernetesDocuments()
        let deployment = try DeployFiles.object("Deployment", named: "mailgate", in: documents)
        #expect(deployment.at("spec.replicas") as? Int == 3)
        let pod = deployment.mapping("spec.template")
        let podLabels = pod.mapping("metadata.labels") as? [String: String] ?? [:]
        #expect(deployment.mapping("spec.selector.matchLabels") as? [String: String] == podLabels)
        #expect(pod.at("spec.securityContext.runAsNonRoot") as? Bool == true)
        // The non-root user reads the mounted master key file through the pod's group.
        #expect(pod.at("spec.securityContext.fsGroup") as? Int == pod.at("spec.securityContext.runAsGroup") as? Int)

        let container = try #require(pod.list("spec.containers").first)
        #expect(container["args"] as? [String] == ["serve"])
        let ports = Dictionary(
            uniqueKeysWithValues: (container["ports"] as? [[String: Any]] ?? []).compactMap { port in
                (port["name"] as? String).flatMap { name in (port["containerPort"] as? Int).map { (name, $0) } }
            }
        )
        #expect(ports.keys.sorted() == ["console", "ops", "rpc"])

        // The ConfigMap (envFrom) makes the server listen where the container ports say.
        let configMap = try DeployFiles.object("ConfigMap", named: "mailgate", in: documents)
        let settings = configMap["data"] as? [String: String] ?? [:]
        #expect(
            (container["envFrom"] as? [[String: Any]])?.first?.mapping("configMapRef")["name"] as? String == "mailgate"
        )
        func port(of address: String?) -> Int? { address?.split(separator: ":").last.flatMap { Int($0) } }
        #expect(port(of: settings["MAILGATE_LISTEN"]) == ports["rpc"])
        #expect(port(of: settings["MAILGATE_OPS_LISTEN"]) == ports["ops"])
        #expect(port(of: settings["MAILGATE_CONSOLE_LISTEN"]) == ports["console"])
        #expect(settings["MAILGATE_LOG_FORMAT"] == "json")
        let masterKeysFile = try #require(settings["MAILGATE_MASTER_KEYS_FILE"])
        let mounts = (container["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
        #expect(mounts.contains { masterKeysFile.hasPrefix($0 + "/") }, "the master key file is on a mounted volume")
        // RPC listens beyond loopback, so it has TLS (serve refuses otherwise), from the TLS Secret.
        for setting in ["MAILGATE_TLS_CERT", "MAILGATE_TLS_KEY"] {
            let file = try #require(settings[setting], "\(setting) is not set: serve would refuse to listen")
            let mount = try #require(
                (container["volumeMounts"] as? [[String: Any]] ?? []).first {
                    file.hasPrefix(($0["mountPath"] as? String ?? "") + "/")
                },
                "\(setting) is not on a mounted volume"
            )
            let volume = pod.list("spec.volumes").first { $0["name"] as? String == mount["name"] as? String }
            #expect(volume?.string("secret.secretName") == "mailgate-rpc-tls")
            let item = (volume?.list("secret.items") ?? []).first {
                file.hasSuffix("/" + ($0["path"] as? String ?? "-"))
            }
            #expect(item != nil, "\(file) is not one of the Secret's items")
        }
        #expect(settings["MAILGATE_ALLOW_PLAINTEXT"] == nil)
        for variable in ["MAILGATE_DATABASE_URL"] {
            let entry = (container["env"] as? [[String: Any]] ?? []).first { $0["name"] as? String == variable }
            #expect(entry?.string("valueFrom.secretKeyRef.name") == "mailgate", "\(variable) comes from the Secret")
        }
        #expect(
            settings.keys.allSatisfy { !$0.contains("DATABASE_URL") && !$0.contains("KEY=") },
            "no secrets in the ConfigMap"
        )

        // Probes use the ops port by name, on the paths the server answers (checked live below).
        #expect(container.string("readinessProbe.httpGet.path") == "/readyz")
        #expect(container.string("livenessProbe.httpGet.path") == "/healthz")
        #expect(container.string("readinessProbe.httpGet.port") == "ops")
        #expect(container.string("livenessProbe.httpGet.port") == "ops")
        let grace = try #require(pod.at("spec.terminationGracePeriodSeconds") as? Int)
        #expect(
            grace > Int(settings["MAILGATE_SHUTDOWN_GRACE_SECONDS"] ?? "20")!,
            "Kubernetes must wait longer than the drain"
        )

        let service = try DeployFiles.object("Service", named: "mailgate", in: documents)
        #expect(service.mapping("spec.selector") as? [String: String] == podLabels)
        #expect(service.list("spec.ports").first?["targetPort"] as? String == "rpc")
        let budget = try DeployFiles.object("PodDisruptionBudget", in: documents)
        #expect(budget.mapping("spec.selector.matchLabels") as? [String: String] == podLabels)
        #expect((budget.at("spec.minAvailable") as? Int).map { $0 < 3 && $0 >= 1 } == true)
        let policy = try DeployFiles.object("NetworkPolicy", in: documents)
        #expect(policy.mapping("spec.podSelector.matchLabels") as? [String: String] == podLabels)
        let allowedIn = Set(
            policy.list("spec.ingress").flatMap {
                ($0["ports"] as? [[String: Any]] ?? []).compactMap { $0["port"] as? Int }
            }
        )
        #expect(allowedIn == Set(ports.values), "the NetworkPolicy lets in RPC and the ops port")

        // The CronJob reaches the Service's RPC port.
        let job = try DeployFiles.object("CronJob", in: documents)
        let jobContainer = try #require(job.list("spec.jobTemplate.spec.template.spec.containers").first)
        let address =
            (jobContainer["env"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "MAILGATE_ADDRESS" }?[
                "value"
            ] as? String
        #expect(address == "mailgate:\(service.list("spec.ports").first?["port"] as? Int ?? 0)")
        // …over TLS, trusting the CA of the Secret the replicas' certificate comes from.
        let caFile =
            (jobContainer["env"] as? [[String: Any]] ?? []).first {
                $0["name"] as? String == "MAILGATE_RPC_CA_FILE"
            }?["value"] as? String
        let jobPod = job.mapping("spec.jobTemplate.spec.template")
        let caVolume = jobPod.list("spec.volumes").first { $0.string("secret.secretName") == "mailgate-rpc-tls" }
        let caMount = (jobContainer["volumeMounts"] as? [[String: Any]] ?? []).first {
            $0["name"] as? String == caVolume?["name"] as? String
        }
        #expect(
            caFile != nil && caMount != nil && caFile?.hasPrefix((caMount?["mountPath"] as? String ?? "") + "/") == true
        )
        // Its pods are no replicas: neither the Service, the budget nor the policy selects them…
        let jobLabels = job.mapping("spec.jobTemplate.spec.template.metadata.labels") as? [String: String] ?? [:]
        for selector in [
            service.mapping("spec.selector"), budget.mapping("spec.selector.matchLabels"),
            policy.mapping("spec.podSelector.matchLabels"),
        ] {
            let labels = selector as? [String: String] ?? [:]
            #expect(
                !labels.allSatisfy { jobLabels[$0.key] == $0.value },
                "the expiry job's pods are selected as replicas"
            )
        }
        // …and the policy lets them reach the RPC port.
        let rpcSources = policy.list("spec.ingress").filter {
            ($0["ports"] as? [[String: Any]] ?? []).contains { $0["port"] as? Int == ports["rpc"] }
        }
        .flatMap { $0["from"] as? [[String: Any]] ?? [] }
        .compactMap { $0.mapping("podSelector.matchLabels") as? [String: String] }
        #expect(rpcSources.contains { $0.allSatisfy { jobLabels[$0.key] == $0.value } }, "the expiry job may call RPC")
    }

    @Test(
        "the PrometheusRule carries the alerting rules unchanged, and the PodMonitor scrapes /metrics on the ops port of the Deployment's pods"
    )
    func prometheusOperator() throws {
        let plain = try DeployFiles.document("prometheus/mailgate-alerts.yaml")
        let rule = try DeployFiles.document("kubernetes/monitoring/prometheusrule.yaml")
        #expect(rule.string("kind") == "PrometheusRule")
        let groups = try #require(rule.mapping("spec")["groups"])
        #expect(
            try JSONSerialization.data(withJSONObject: groups, options: .sortedKeys)
                == JSONSerialization.data(withJSONObject: try #require(plain["groups"]), options: .sortedKeys),
            "spec.groups is deploy/prometheus/mailgate-alerts.yaml's groups: run scripts/generate-prometheusrule"
        )

        let monitor = try DeployFiles.document("kubernetes/monitoring/podmonitor.yaml")
        #expect(monitor.string("kind") == "PodMonitor")
        let deployment = try DeployFiles.object("Deployment", in: try DeployFiles.kubernetesDocuments())
        let podLabels = try #require(deployment.mapping("spec.template.metadata")["labels"] as? [String: String])
        let selector = try #require(monitor.mapping("spec.selector")["matchLabels"] as? [String: String])
        #expect(selector.allSatisfy { podLabels[$0.key] == $0.value }, "the PodMonitor selects Mailgate's pods")
        let endpoint = try #require(monitor.list("spec.podMetricsEndpoints").first)
        let ports = deployment.list("spec.template.spec.containers").flatMap { $0["ports"] as? [[String: Any]] ?? [] }
        let ops = try #require(ports.first { $0["name"] as? String == endpoint["port"] as? String })
        #expect(ops["containerPort"] as? Int == 7588)
        #expect(endpoint["path"] as? String == "/metrics")
        // Every pod label a rule selects on reaches the scraped series.
        let rulesText = try DeployFiles.text("prometheus/mailgate-alerts.yaml")
        let selected = Set(rulesText.matches(of: /up\{(\w+)=/).map { String($0.1) })
        let carried = Set(monitor.mapping("spec")["podTargetLabels"] as? [String] ?? [])
        #expect(
            !selected.isEmpty && selected.isSubset(of: carried),
            "rules select \(selected); scraped series carry \(carried)"
        )
        for folder in ["monitoring", "ingress"] {
            let kustomization = try DeployFiles.document("kubernetes/\(folder)/kustomization.yaml")
            for resource in kustomization["resources"] as? [String] ?? [] {
                _ = try DeployFiles.document("kubernetes/\(folder)/\(resource)")
            }
        }
    }

    @Test(
        "the example Ingress sends browsers to the Service's console port over HTTPS, which the NetworkPolicy admits from the controller's namespace"
    )
    func ingress() throws {
        let ingress = try DeployFiles.document("kubernetes/ingress/ingress.yaml")
        #expect(ingress.string("kind") == "Ingress")
        let backend = try #require(
            ingress.list("spec.rules").first?.list("http.paths").first?.mapping("backend.service")
        )
        let documents = try DeployFiles.kubernetesDocuments()
        let service = try DeployFiles.object("Service", in: documents)
        #expect(backend["name"] as? String == service.string("metadata.name"))
        let servicePorts = service.list("spec.ports")
        let port = try #require(
            servicePorts.first { $0["name"] as? String == backend.mapping("port")["name"] as? String }
        )
        #expect(port["port"] as? Int == 7589, "the console's port")
        let annotations = ingress.mapping("metadata")["annotations"] as? [String: String] ?? [:]
        #expect(annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS", "the console listens with TLS")
        #expect(!ingress.list("spec.tls").isEmpty)
        let policy = try DeployFiles.object("NetworkPolicy", in: documents)
        let admitted = policy.list("spec.ingress").filter {
            ($0["ports"] as? [[String: Any]] ?? []).contains { $0["port"] as? Int == 7589 }
        }
        let namespaces = admitted.flatMap { $0["from"] as? [[String: Any]] ?? [] }.compactMap {
            $0.mapping("namespaceSelector.matchLabels")["kubernetes.io/metadata.name"] as? String
        }
        #expect(namespaces.contains("ingress-nginx"), "the controller's namespace reaches the console")
    }

    @Test("the probes' paths answer 200 on a running server's ops port")
    func probesAnswer() async throws {
        let documents = try DeployFiles.kubernetesDocuments()
        let container = try #require(
            try DeployFiles.object("Deployment", in: documents).list("spec.template.spec.containers").first
        )
        let paths = try ["readinessProbe", "livenessProbe"].map { try #require(container.string("\($0).httpGet.path")) }
        try await AdminFixture.run(ops: OpsConfiguration(port: 0)) { fixture in
            let port = try await fixture.opsPort()
            let readyPath = paths[0]
            // The readiness probe turns 200 once the server serves.
            let statuses = try await eventually(limit: .seconds(20)) {
                let statuses = try await offCooperativePool {
                    try paths.map { try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: $0).status }
                }
                return statuses.allSatisfy { $0 == 200 } ? statuses : nil
            }
            #expect(statuses == [200, 200], "\(readyPath)")
            let metrics = try await offCooperativePool {
                try RawHTTP.request("GET", host: "127.0.0.1", port: port, path: "/metrics")
            }
            #expect(metrics.status == 200)

            // The image's HEALTHCHECK: the binary asks the ops port itself.
            for flags in [[], ["--ready"]] {
                let (status, output) = try await runProgram(
                    Self.mailgate,
                    ["healthcheck", "--ops-listen", "127.0.0.1:\(port)"] + flags
                )
                #expect(status == 0, "healthcheck \(flags): \(output)")
            }
        }
        let closed = try await ServeProcessTests.freePort()
        let (status, _) = try await runProgram(Self.mailgate, ["healthcheck", "--ops-listen", "127.0.0.1:\(closed)"])
        #expect(status == 1, "nothing listening is unhealthy")
    }

    @Test(
        "the man page and the bash, zsh and fish completions the image installs are generated from the CLI and cover every subcommand"
    )
    func manualAndCompletions() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.mailgate.path), "swift build first")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-manual-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for shell in ["bash", "zsh", "fish"] {
            let (status, script) = try await runProgram(Self.mailgate, ["--generate-completion-script", shell])
            #expect(status == 0)
            #expect(script.contains("healthcheck") && script.contains("serve"), "\(shell) completes subcommands")
            if shell == "bash" {
                let file = folder.appendingPathComponent("mailgate.bash")
                try script.write(to: file, atomically: true, encoding: .utf8)
                let (syntax, _) = try await runProgram(URL(fileURLWithPath: "/bin/bash"), ["-n", file.path])
                #expect(syntax == 0, "the bash completion script parses")
            }
        }
        // The tool the Dockerfile runs; scripts/test builds it (scripts/lib/manual.sh).
        let tool = repositoryRoot().appendingPathComponent(".build/generate-manual/debug/generate-manual")
        try #require(
            FileManager.default.isExecutableFile(atPath: tool.path),
            "build it first: source scripts/lib/manual.sh; build_generate_manual"
        )
        let (status, _) = try await runProgram(tool, [Self.mailgate.path, "--output-directory", folder.path])
        #expect(status == 0)
        let page = try String(contentsOf: folder.appendingPathComponent("mailgate.1"), encoding: .utf8)
        #expect(page.contains(".Dt MAILGATE 1"))
        for subcommand in ["serve", "migrate", "healthcheck", "call", "proto"] {
            #expect(page.contains(subcommand), "the page documents \(subcommand)")
        }
    }

    @Test("the commands the manifests run parse with the real CLI")
    func commandsParse() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.mailgate.path), "swift build first")
        let documents = try DeployFiles.kubernetesDocuments()
        var commands: [[String]] = []
        for (_, object) in documents {
            for container in object.list("spec.template.spec.containers")
                + object.list("spec.jobTemplate.spec.template.spec.containers")
            {
                commands.append(try #require(container["args"] as? [String]))
            }
        }
        let execStart = try #require(try DeployFiles.systemdSettings()["ExecStart"]?.first)
        commands.append(Array(execStart.split(separator: " ").dropFirst().map(String.init)))
        let instructions = try DeployFiles.dockerInstructions()
        let dockerCommand = try #require(instructions.last { $0.keyword == "CMD" }?.arguments)
        commands.append(try JSONDecoder().decode([String].self, from: Data(dockerCommand.utf8)))
        let healthcheck = try #require(instructions.last { $0.keyword == "HEALTHCHECK" }?.arguments)
        let healthcheckCommand = try #require(healthcheck.range(of: "CMD ").map { healthcheck[$0.upperBound...] })
        let healthcheckWords = try JSONDecoder().decode([String].self, from: Data(healthcheckCommand.utf8))
        #expect(healthcheckWords.first == "/usr/local/bin/mailgate")
        commands.append(Array(healthcheckWords.dropFirst()))
        #expect(commands.count == 5)
        for command in commands {
            // --help exits 0 only when every word before it is a real subcommand or option.
            let (status, output) = try await runProgram(Self.mailgate, command + ["--help"])
            #expect(status == 0, "mailgate \(command.joined(separator: " ")) does not parse")
            #expect(output.contains("USAGE"))
        }
    }

    @Test(
        "the Dockerfile builds the package's executable in a Swift stage and runs it non-root in a slim stage with libcurl and CA certificates"
    )
    func dockerfile() throws {
        let instructions = try DeployFiles.dockerInstructions()
        let stages = instructions.filter { $0.keyword == "FROM" }.map { $0.arguments.components(separatedBy: " AS ") }
        #expect(stages.count == 2)
        #expect(stages.first?.first?.hasPrefix("swift:") == true)
        #expect(stages.last?.first?.contains("slim") == true)
        let stageNames = stages.compactMap { $0.count == 2 ? $0[1] : nil }

        let root = repositoryRoot()
        var copied: [String: String] = [:]
        for copy in instructions.filter({ $0.keyword == "COPY" }) {
            var words = copy.arguments.split(separator: " ").map(String.init)
            if let from = words.first, from.hasPrefix("--from=") {
                #expect(stageNames.contains(String(from.dropFirst(7))), "COPY \(from) names a stage")
                words.removeFirst()
                copied[words[0]] = words[1]
            } else {
                for source in words.dropLast() {
                    #expect(
                        FileManager.default.fileExists(atPath: root.appendingPathComponent(source).path),
                        "COPY \(source) exists"
                    )
                }
            }
        }
        let build = try #require(
            instructions.first { $0.keyword == "RUN" && $0.arguments.contains("swift build") }?.arguments
        )
        #expect(build.contains("-c release") && build.contains("--static-swift-stdlib"))
        let package = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let product = try #require(build.firstMatch(of: /--product (\S+)/)?.1)
        #expect(package.contains(".executable(name: \"\(product)\""))

        let runtimePackages = try #require(
            instructions.last { $0.keyword == "RUN" && $0.arguments.contains("apt-get install") }?.arguments
        )
        #expect(runtimePackages.contains("libcurl4 ") && runtimePackages.contains("ca-certificates"))
        let user = try #require(instructions.last { $0.keyword == "USER" }?.arguments)
        #expect(!user.hasPrefix("0") && !user.hasPrefix("root"))

        // The binary and the migrations land where ENTRYPOINT, ENV and the manifests look.
        let entrypoint = try JSONDecoder().decode(
            [String].self,
            from: Data(try #require(instructions.last { $0.keyword == "ENTRYPOINT" }?.arguments).utf8)
        )
        #expect(copied.values.contains(entrypoint[0]))
        let environment = instructions.filter { $0.keyword == "ENV" }.map(\.arguments).joined(separator: " ")
        let migrations = try #require(environment.firstMatch(of: /MAILGATE_MIGRATIONS_DIR=(\S+)/)?.1)
        #expect(copied["/src/migrations"] == String(migrations))
        let configMap = try DeployFiles.object("ConfigMap", in: try DeployFiles.kubernetesDocuments())
        #expect((configMap["data"] as? [String: String])?["MAILGATE_MIGRATIONS_DIR"] == String(migrations))
        #expect(
            try DeployFiles.systemdSettings()["Environment"]?.contains("MAILGATE_MIGRATIONS_DIR=\(migrations)") == true
        )

        let exposed = Set(
            instructions.filter { $0.keyword == "EXPOSE" }.flatMap {
                $0.arguments.split(separator: " ").compactMap { Int($0) }
            }
        )
        #expect(exposed == [7587, 7588, 7589])
        let ignored = try String(contentsOf: root.appendingPathComponent(".dockerignore"), encoding: .utf8)
        #expect(ignored.split(separator: "\n").contains(".build"), "the build folder stays out of the context")
    }

    @Test(
        "the systemd unit is hardened, reloads with SIGHUP, drains with SIGTERM, and does not restart on bad configuration"
    )
    func systemdUnit() throws {
        let settings = try DeployFiles.systemdSettings()
        for (key, value) in [
            ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
            ("User", "mailgate"), ("KillSignal", "SIGTERM"), ("RestartPreventExitStatus", "78"),
        ] {
            #expect(settings[key] == [value], "\(key)=\(value)")
        }
        #expect(settings["CapabilityBoundingSet"] == [""])
        #expect(settings["ExecReload"]?.first?.contains("-HUP $MAINPID") == true)
        #expect(settings["ExecStart"]?.first?.hasPrefix("/usr/local/bin/mailgate ") == true)
        #expect(settings["EnvironmentFile"] == ["/etc/mailgate/mailgate.env"])
        #expect(
            FileManager.default.fileExists(
                atPath: DeployFiles.folder.appendingPathComponent("systemd/mailgate.env").path
            )
        )
    }

    @Test("the alert rules parse and use only metrics the README documents")
    func alertRules() throws {
        let rules = try #require(
            try Yams.load(yaml: try DeployFiles.text("prometheus/mailgate-alerts.yaml")) as? [String: Any]
        )
        let all = rules.list("groups").flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(all.count >= 5)
        let readme = try String(contentsOf: repositoryRoot().appendingPathComponent("README.md"), encoding: .utf8)
        for rule in all {
            let expression = try #require(rule["expr"] as? String)
            #expect(rule["alert"] is String && rule.string("labels.severity") != nil)
            for match in expression.matches(of: /mailgate_[a-z_]+/) {
                let metric = String(match.output)
                #expect(readme.contains("`\(metric)`"), "\(metric) is a documented metric")
            }
        }
    }

    @Test("the systemd timer runs the expiry check daily as the service's user, catching up after downtime")
    func expiryTimer() throws {
        let timer = try DeployFiles.systemdSettings("mailgate-expiry-check.timer")
        #expect(timer["OnCalendar"]?.first?.hasPrefix("*-*-*") == true)
        #expect(timer["Persistent"] == ["true"])
        let check = try DeployFiles.systemdSettings("mailgate-expiry-check.service")
        #expect(check["Type"] == ["oneshot"])
        #expect(check["ExecStart"]?.first?.hasSuffix("mailgate expiry check --within 30d") == true)
        #expect(check["User"] == (try DeployFiles.systemdSettings())["User"])
        let environment = try DeployFiles.text("systemd/expiry-check.env")
        for setting in ["MAILGATE_ADDRESS", "MAILGATE_KEY", "MAILGATE_RPC_CA_FILE"] {
            #expect(environment.contains("\n\(setting)=") || environment.hasPrefix("\(setting)="), "\(setting)")
        }
    }
}
