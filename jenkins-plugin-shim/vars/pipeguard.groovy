// pipeguard pipeline step (Jenkins shared library). See vars/pipeguard.txt for the options.
//
// Order matters: gate first (no credential is bound yet, so a blocked fork PR never runs a
// step that could read one), then scan, then reports, then attest (the only step that binds a
// credential). Every value that comes from the caller or the build reaches the shell through
// withEnv and is expanded, quoted, by the shell: nothing is interpolated into sh scripts by
// Groovy, so paths or image names with quotes, `$(…)` or `;` cannot inject commands.

import groovy.transform.Field

@Field static final Map DEFAULTS = [
    version         : '0.1.0',       // the release this library version pins checksums for
    binary          : null,          // path to an installed pipeguard; else PATH, else download
    downloadUrl     : 'https://github.com/pipeguard/pipeguard/releases/download/v${version}/${asset}',
    sha256          : null,          // SHA-256 of the download; default: the library's pinned table
    path            : '.',           // what to scan
    gate            : true,          // run `pipeguard gate --jenkins` first
    credentialsId   : null,          // "secret text" credential: GitHub token for the gate's API checks
    token           : null,          // or the token itself (prefer credentialsId)
    failOn          : 'high',        // scan --fail-on
    onFindings      : 'unstable',    // 'unstable' | 'failure' | 'ignore' when findings reach failOn
    trustedConfigRef: null,          // scan --trusted-config-ref (default: target branch on PRs)
    reportDir       : 'pipeguard-reports',
    attest          : false,         // sign an attestation after a passing scan
    image           : null,          // image reference with digest (repo@sha256:…) for attest
    imageDigest     : null,          // or just the digest
    keyCredentialsId: null,          // Jenkins "secret file" credential holding the PKCS#8 key
    recordIssues    : true,          // Warnings NG (needs the warnings-ng plugin)
    junit           : true,
    archive         : true,
    extraArgs       : [],            // more `pipeguard scan` arguments (each one word)
]

def call(Map args = [:]) {
    Map cfg = [:] + DEFAULTS + args
    def unknown = args.keySet() - DEFAULTS.keySet()
    if (unknown) {
        error("pipeguard: unknown option(s) ${unknown.sort().join(', ')}; see the pipeguard step help")
    }
    if (!(cfg.onFindings in ['unstable', 'failure', 'ignore'])) {
        error("pipeguard: onFindings must be 'unstable', 'failure' or 'ignore', not '${cfg.onFindings}'")
    }
    if (cfg.attest && !cfg.keyCredentialsId) {
        error('pipeguard: attest: true needs keyCredentialsId (a secret file credential with the signing key)')
    }
    String dir = cfg.reportDir
    Map result = [status: 'passed', exitCode: 0, sarif: "${dir}/pipeguard.sarif", attestation: null]

    String bin = locate(cfg)
    List baseEnv = [
        "PIPEGUARD_BIN=${bin}",
        "PIPEGUARD_REPORTS=${dir}",
        "PIPEGUARD_PATH=${cfg.path}",
        "PIPEGUARD_FAIL_ON=${cfg.failOn}",
    ]

    withEnv(baseEnv) {
        sh(script: 'mkdir -p "$PIPEGUARD_REPORTS"', label: 'pipeguard: prepare')

        // 1. Gate: untrusted change-request builds stop here, before any credential is bound.
        if (cfg.gate) {
            int gate = withGitHubToken(cfg) {
                sh(script: '"$PIPEGUARD_BIN" gate --jenkins', label: 'pipeguard gate', returnStatus: true)
            }
            if (gate == 1) {
                result.status = 'blocked'
                result.exitCode = 1
                error('pipeguard gate blocked this build: untrusted change request (see the gate output above)')
            } else if (gate != 0) {
                result.status = 'error'
                result.exitCode = gate
                error("pipeguard gate failed (exit ${gate})")
            }
        }

        // 2. Scan, writing every report in one run.
        List scanEnv = []
        String ref = cfg.trustedConfigRef ?: (env.CHANGE_TARGET ? "origin/${env.CHANGE_TARGET}" : null)
        if (ref) {
            scanEnv << "PIPEGUARD_TRUSTED_REF=${ref}"
        }
        List extra = (cfg.extraArgs ?: []).collect { it.toString() }
        extra.eachWithIndex { a, i -> scanEnv << "PIPEGUARD_ARG_${i}=${a}" }
        String extraWords = (0..<extra.size()).collect { i -> " \"\$PIPEGUARD_ARG_${i}\"" }.join('')
        int status
        withEnv(scanEnv) {
            status = sh(
                script: '"$PIPEGUARD_BIN" scan "$PIPEGUARD_PATH" --fail-on "$PIPEGUARD_FAIL_ON"' +
                    ' ${PIPEGUARD_TRUSTED_REF:+--trusted-config-ref "$PIPEGUARD_TRUSTED_REF"}' +
                    ' --format junit --output "$PIPEGUARD_REPORTS/pipeguard-junit.xml"' +
                    ' --sarif "$PIPEGUARD_REPORTS/pipeguard.sarif"' +
                    ' --json "$PIPEGUARD_REPORTS/pipeguard.json"' + extraWords,
                label: 'pipeguard scan',
                returnStatus: true)
        }
        result.exitCode = status

        // 3. Reports, whatever the verdict (a failed tool may still have written some).
        if (cfg.recordIssues) {
            recordIssues(tool: sarif(pattern: "${dir}/pipeguard.sarif", id: 'pipeguard', name: 'pipeguard'),
                         enabledForFailure: true, skipPublishingChecks: true)
        }
        if (cfg.junit) {
            // The junit step must not set the result itself (it marks the build UNSTABLE for any
            // failed case): onFindings below decides.
            junit(testResults: "${dir}/pipeguard-junit.xml", allowEmptyResults: true,
                  skipMarkingBuildUnstable: true, skipPublishingChecks: true)
        }

        if (status == 1) {
            result.status = 'findings'
        } else if (status != 0) {
            result.status = 'error'
            archive(cfg, dir)
            error("pipeguard scan failed (exit ${status}): the scan is incomplete; see the log above")
        }

        // 4. Attestation: only for a passing scan; the only step that sees a credential.
        if (cfg.attest && status == 0) {
            List attestEnv = ["PIPEGUARD_ATTESTATION=${dir}/attestation.intoto.jsonl"]
            String subject
            if (cfg.image) {
                attestEnv << "PIPEGUARD_IMAGE=${cfg.image}"
                subject = '--image "$PIPEGUARD_IMAGE"'
            } else if (cfg.imageDigest) {
                attestEnv << "PIPEGUARD_IMAGE_DIGEST=${cfg.imageDigest}"
                subject = '--image-digest "$PIPEGUARD_IMAGE_DIGEST"'
            } else {
                error('pipeguard: attest: true needs image (repo@sha256:…) or imageDigest')
            }
            withEnv(attestEnv) {
                withCredentials([file(credentialsId: cfg.keyCredentialsId, variable: 'PIPEGUARD_KEY')]) {
                    int a = sh(script: '"$PIPEGUARD_BIN" attest ' + subject +
                                   ' --key "$PIPEGUARD_KEY" --scan-report "$PIPEGUARD_REPORTS/pipeguard.json"' +
                                   ' --out "$PIPEGUARD_ATTESTATION"',
                               label: 'pipeguard attest', returnStatus: true)
                    if (a != 0) {
                        archive(cfg, dir)
                        error("pipeguard attest failed (exit ${a})")
                    }
                }
            }
            result.attestation = "${dir}/attestation.intoto.jsonl"
        }

        archive(cfg, dir)
    }

    if (result.status == 'findings') {
        String msg = "pipeguard: findings at or above '${cfg.failOn}' (see the pipeguard issues and tests)"
        if (cfg.onFindings == 'failure') {
            error(msg)
        } else if (cfg.onFindings == 'unstable') {
            unstable(msg)
        } else {
            echo(msg)
        }
    }
    return result
}

// The gate's GitHub API checks (reviews of the head commit, collaborator permission) need a
// token: bound as GITHUB_TOKEN around the gate only, never around the scan.
private def withGitHubToken(Map cfg, Closure body) {
    if (cfg.credentialsId) {
        return withCredentials([string(credentialsId: cfg.credentialsId.toString(), variable: 'GITHUB_TOKEN')]) { body() }
    }
    if (cfg.token) {
        return withEnv(["GITHUB_TOKEN=${cfg.token}"]) { body() }
    }
    return body()
}

// The pinned SHA-256 of each release asset this library version knows, from
// resources/io/pipeguard/checksums.txt ("<sha256>  <asset>" lines, as in SHA256SUMS).
private Map pinnedChecksums() {
    Map pins = [:]
    libraryResource('io/pipeguard/checksums.txt').readLines().each { String line ->
        def m = line =~ /^([0-9a-f]{64})  (\S+)$/
        if (m.matches()) {
            pins[m.group(2)] = m.group(1)
        }
    }
    return pins
}

// The binary: an explicit path, one on PATH, or the release asset for this agent, verified against
// the pinned checksum (or an explicit sha256:) before it is unpacked. Never an unverified download.
private String locate(Map cfg) {
    if (cfg.binary) {
        return cfg.binary.toString()
    }
    String found = sh(script: 'command -v pipeguard || true', returnStdout: true, label: 'pipeguard: locate').trim()
    if (found) {
        return found
    }
    String version = cfg.version.toString()
    if (!(version ==~ /[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?/)) {
        error("pipeguard: version must be a release version such as '0.1.0', not '${version}'")
    }
    writeFile(file: '.pipeguard/install.sh', text: libraryResource('io/pipeguard/install.sh'))
    String target = sh(script: 'sh .pipeguard/install.sh target', returnStdout: true, label: 'pipeguard: platform').trim()
    if (!target) {
        error('pipeguard: no release asset for this agent\'s platform (Linux and macOS, x86_64 and arm64); ' +
              'pass binary: with an installed pipeguard, or use the container image')
    }
    String asset = "pipeguard-${version}-${target}.tar.gz"
    String url = cfg.downloadUrl.toString().replace('${version}', version).replace('${asset}', asset)
    String sum = cfg.sha256 ? cfg.sha256.toString() : pinnedChecksums()[asset]
    if (!sum) {
        error("pipeguard: this library version pins no checksum for ${asset}; use the version it was released " +
              "with (${DEFAULTS.version}), or pass sha256: '<sha256 of the download>' or binary: '/path/to/pipeguard'")
    }
    List installEnv = [
        "PIPEGUARD_URL=${url}",
        "PIPEGUARD_SHA256=${sum}",
        "PIPEGUARD_MEMBER=${url.endsWith('.tar.gz') ? "pipeguard-${version}-${target}/pipeguard" : ''}",
        "PIPEGUARD_INSTALL_VERSION=${version}",
        "PIPEGUARD_INSTALL_TARGET=${target}",
    ]
    String bin
    withEnv(installEnv) {
        bin = sh(script: 'PIPEGUARD_DEST="${PIPEGUARD_CACHE:-${HOME:-$PWD/.pipeguard}/.cache/pipeguard}/$PIPEGUARD_INSTALL_VERSION/$PIPEGUARD_INSTALL_TARGET" sh .pipeguard/install.sh install',
                 returnStdout: true, label: 'pipeguard: install').trim()
    }
    return bin
}

private void archive(Map cfg, String dir) {
    if (cfg.archive) {
        archiveArtifacts(artifacts: "${dir}/**", allowEmptyArchive: true, fingerprint: true)
    }
}
