// Tests of vars/pipeguard.groovy with Debian's groovy (2.4, the Groovy of Jenkins pipelines).
// A small harness stands in for the pipeline steps: sh really runs the script with /bin/sh
// (against test/fake-pipeguard.sh), so quoting is tested for real; recordIssues, junit,
// archiveArtifacts, error, unstable, withEnv and withCredentials are recorded.
// Run: groovy test/PipeguardStepTest.groovy (from jenkins-plugin-shim/); exit 1 on failure.

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpHandler
import com.sun.net.httpserver.HttpServer

class StepError extends RuntimeException {
    StepError(String m) { super(m) }
}

class Harness {
    File root
    File ws
    Map env = [:]
    List overlays = []
    int credDepth = 0
    List calls = []
    String result = 'SUCCESS'
    Map fake = [:]
    Map resources = [:]             // libraryResource overrides (e.g. a test checksum table)

    Harness(File root) {
        this.root = root
        ws = File.createTempDir('pipeguard-ws', '')
    }

    Map effectiveEnv() {
        Map e = [:] + System.getenv() + [PIPEGUARD_CACHE: new File(ws, 'cache').path] + env
        overlays.each { e.putAll(it) }
        e['FAKE_LOG'] = new File(ws, 'fake').path
        fake.each { k, v -> e[k] = v.toString() }
        return e
    }

    def sh(arg) {
        Map a = arg instanceof Map ? arg : [script: arg]
        Map e = effectiveEnv()
        calls << [step: 'sh', script: a.script, credentials: credDepth > 0, env: e]
        def p = ['/bin/sh', '-c', a.script].execute(e.collect { k, v -> "${k}=${v}" as String } as String[], ws)
        def out = new StringBuilder()
        def err = new StringBuilder()
        p.waitForProcessOutput(out, err)
        int rc = p.exitValue()
        if (a.returnStdout) {
            // As in Jenkins: a failing script fails the step, returnStdout or not.
            if (rc != 0) {
                throw new StepError("script returned exit code ${rc}: ${err}")
            }
            return out.toString()
        }
        if (a.returnStatus) {
            return rc
        }
        if (rc != 0) {
            throw new StepError("script returned exit code ${rc}: ${err}")
        }
        return null
    }

    def withEnv(List vars, Closure body) {
        Map m = [:]
        vars.each { String s -> int i = s.indexOf('='); m[s.substring(0, i)] = s.substring(i + 1) }
        calls << [step: 'withEnv', vars: m]
        overlays << m
        try { return body() } finally { overlays.remove(overlays.size() - 1) }
    }

    def withCredentials(List bindings, Closure body) {
        calls << [step: 'withCredentials', bindings: bindings]
        Map m = [:]
        bindings.each { m[it.variable] = new File(ws, 'secret.key').path }
        overlays << m
        credDepth++
        try { return body() } finally { credDepth--; overlays.remove(overlays.size() - 1) }
    }

    Map file(Map m) { [kind: 'file'] + m }
    Map string(Map m) { [kind: 'string'] + m }
    Map sarif(Map m) { [tool: 'sarif'] + m }
    def recordIssues(Map m) { calls << [step: 'recordIssues'] + m }
    def junit(Map m) { calls << [step: 'junit'] + m }
    def archiveArtifacts(Map m) { calls << [step: 'archiveArtifacts'] + m }
    def writeFile(Map m) { calls << [step: 'writeFile'] + m; new File(ws, m.file).with { parentFile.mkdirs(); text = m.text } }
    String libraryResource(String p) { resources[p] ?: new File(root, "resources/${p}").text }
    String pwd() { ws.path }
    def echo(String m) { calls << [step: 'echo', message: m] }
    def unstable(String m) { calls << [step: 'unstable', message: m]; if (result == 'SUCCESS') result = 'UNSTABLE' }
    def error(String m) { calls << [step: 'error', message: m]; result = 'FAILURE'; throw new StepError(m) }

    Script load() {
        def binding = new Binding()
        binding.setVariable('env', env)
        ['sh', 'withEnv', 'withCredentials', 'file', 'string', 'sarif', 'recordIssues', 'junit', 'archiveArtifacts',
         'writeFile', 'libraryResource', 'pwd', 'echo', 'unstable', 'error'].each { String n ->
            binding.setVariable(n, this.&"${n}")
        }
        return new GroovyShell(binding).parse(new File(root, 'vars/pipeguard.groovy'))
    }

    /// Run the step; returns [result map or null, error message or null].
    List run(Map args) {
        try {
            return [load().call(args), null]
        } catch (StepError e) {
            return [null, e.message]
        }
    }

    List steps(String name) { calls.findAll { it.step == name } }
    List<String> fakeArgs(String sub) {
        File f = new File(ws, "fake.${sub}")
        f.exists() ? f.readLines() : null
    }
}

// A release host on loopback (the JDK's HTTP server): serves `files` (URL path -> bytes), 404 for
// anything else, and counts the requests.
class ReleaseHost {
    HttpServer server
    Map<String, byte[]> files = [:]
    int hits = 0

    ReleaseHost() {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        server.createContext('/', { HttpExchange ex ->
            hits++
            byte[] body = files[ex.requestURI.path]
            if (body == null) {
                ex.sendResponseHeaders(404, -1)
            } else {
                ex.sendResponseHeaders(200, body.length)
                ex.responseBody.write(body)
            }
            ex.close()
        } as HttpHandler)
        server.start()
    }

    String url() { "http://127.0.0.1:${server.address.port}" }
    void stop() { server.stop(0) }
}

// A release asset as the release workflow packs it: pipeguard-<version>-<target>/pipeguard.
byte[] releaseAsset(String version, String target, File binary) {
    File dir = File.createTempDir('pipeguard-asset', '')
    File top = new File(dir, "pipeguard-${version}-${target}")
    top.mkdirs()
    new File(top, 'pipeguard').with { bytes = binary.bytes; setExecutable(true) }
    def p = ['tar', '-czf', 'asset.tar.gz', top.name].execute(null as String[], dir)
    p.waitFor()
    assert p.exitValue() == 0
    return new File(dir, 'asset.tar.gz').bytes
}

String sha256(byte[] b) { java.security.MessageDigest.getInstance('SHA-256').digest(b).encodeHex().toString() }

File root = new File(args.length > 0 ? args[0] : '.').canonicalFile
String fakeBin = new File(root, 'test/fake-pipeguard.sh').path
int failures = 0
def test = { String name, Closure body ->
    try {
        body()
        println "ok   ${name}"
    } catch (Throwable t) {
        failures++
        println "FAIL ${name}: ${t}"
    }
}

test('clean run passes and records reports') {
    def h = new Harness(root)
    def (res, err) = h.run(binary: fakeBin)
    assert err == null
    assert res.status == 'passed' && res.exitCode == 0
    assert h.result == 'SUCCESS'
    assert h.fakeArgs('gate') == ['gate', '--jenkins']
    assert h.fakeArgs('scan') == ['scan', '.', '--fail-on', 'high', '--format', 'junit',
        '--output', 'pipeguard-reports/pipeguard-junit.xml', '--sarif', 'pipeguard-reports/pipeguard.sarif',
        '--json', 'pipeguard-reports/pipeguard.json']
    def ri = h.steps('recordIssues')
    assert ri.size() == 1 && ri[0].tool.tool == 'sarif' && ri[0].tool.pattern == 'pipeguard-reports/pipeguard.sarif'
    assert h.steps('junit')[0].testResults == 'pipeguard-reports/pipeguard-junit.xml'
    assert h.steps('archiveArtifacts')[0].artifacts == 'pipeguard-reports/**'
    assert h.steps('withCredentials').isEmpty()
    assert new File(h.ws, 'pipeguard-reports/pipeguard.sarif').exists()
}

test('findings mark the build unstable, or failed by policy') {
    def h = new Harness(root)
    h.fake.FAKE_SCAN_EXIT = 1
    def (res, err) = h.run(binary: fakeBin)
    assert err == null && res.status == 'findings'
    assert h.result == 'UNSTABLE'
    assert h.steps('recordIssues').size() == 1 && h.steps('archiveArtifacts').size() == 1

    h = new Harness(root)
    h.fake.FAKE_SCAN_EXIT = 1
    def (res2, err2) = h.run(binary: fakeBin, onFindings: 'failure', failOn: 'medium')
    assert err2.contains("findings at or above 'medium'")
    assert h.result == 'FAILURE'
    assert h.fakeArgs('scan')[2..3] == ['--fail-on', 'medium']
}

test('tool failure is an error, reports still archived') {
    def h = new Harness(root)
    h.fake.FAKE_SCAN_EXIT = 2
    def (res, err) = h.run(binary: fakeBin)
    assert res == null && err.contains('pipeguard scan failed (exit 2)')
    assert h.result == 'FAILURE'
    assert h.steps('archiveArtifacts').size() == 1
    assert h.steps('unstable').isEmpty()
}

test('fork PR is blocked before any sh that sees credentials') {
    def h = new Harness(root)
    h.env.putAll(CHANGE_ID: '42', CHANGE_FORK: 'mallory/app', CHANGE_AUTHOR: 'mallory', CHANGE_TARGET: 'main')
    def (res, err) = h.run(binary: fakeBin, attest: true, keyCredentialsId: 'pipeguard-signing-key',
                          imageDigest: 'sha256:' + 'a' * 64)
    assert err.contains('gate blocked')
    assert h.steps('withCredentials').isEmpty()
    assert h.steps('sh').every { !it.credentials }
    assert h.fakeArgs('scan') == null && h.fakeArgs('attest') == null
    assert h.steps('sh').every { !it.env.containsKey('PIPEGUARD_KEY') }
}

test('attestation binds the key only around attest') {
    def h = new Harness(root)
    def (res, err) = h.run(binary: fakeBin, attest: true, keyCredentialsId: 'pipeguard-signing-key',
                          image: 'registry.example.com/app@sha256:' + 'b' * 64)
    assert err == null, err
    assert res.attestation == 'pipeguard-reports/attestation.intoto.jsonl'
    def wc = h.steps('withCredentials')
    assert wc.size() == 1 && wc[0].bindings[0].credentialsId == 'pipeguard-signing-key'
    def credSh = h.steps('sh').findAll { it.credentials }
    assert credSh.size() == 1 && credSh[0].script.contains('attest')
    assert h.fakeArgs('attest')[0..2] == ['attest', '--image', 'registry.example.com/app@sha256:' + 'b' * 64]

    // A failing scan never reaches the key.
    h = new Harness(root)
    h.fake.FAKE_SCAN_EXIT = 1
    h.run(binary: fakeBin, attest: true, keyCredentialsId: 'k', imageDigest: 'sha256:' + 'c' * 64)
    assert h.steps('withCredentials').isEmpty()
}

test('hostile paths and arguments are passed as data, never as shell code') {
    def h = new Harness(root)
    String evil = "src dir/'; touch pwned1; echo '\$(touch pwned2)`touch pwned3`\"\$HOME\""
    def (res, err) = h.run(binary: fakeBin, path: evil, extraArgs: ['--only', "jenkins; touch pwned4"],
                           trustedConfigRef: "origin/main\$(touch pwned5)")
    assert err == null, err
    List args = h.fakeArgs('scan')
    assert args[1] == evil
    assert args.contains('jenkins; touch pwned4')
    assert args[args.indexOf('--trusted-config-ref') + 1] == "origin/main\$(touch pwned5)"
    (1..5).each { assert !new File(h.ws, "pwned${it}").exists() }
    // No caller value appears in any script text: they all travel through the environment.
    h.steps('sh').each { assert !it.script.contains('pwned') }
}

test('PR builds read the config from the target branch') {
    def h = new Harness(root)
    h.env.putAll(CHANGE_ID: '7', CHANGE_TARGET: 'release/1.x')
    def (res, err) = h.run(binary: fakeBin)
    assert err == null
    List args = h.fakeArgs('scan')
    assert args[args.indexOf('--trusted-config-ref') + 1] == 'origin/release/1.x'
}

test('binary found on PATH or installed') {
    def h = new Harness(root)
    File bin = new File(h.ws, 'bin')
    bin.mkdirs()
    new File(bin, 'pipeguard').with { text = new File(fakeBin).text; setExecutable(true) }
    h.env.PATH = "${bin.path}:${System.getenv('PATH')}"
    def (res, err) = h.run([:])
    assert err == null, err
    assert h.fakeArgs('scan') != null

    // Not on PATH and the version has no pinned checksum: refused before any download.
    h = new Harness(root)
    h.env.PATH = '/usr/bin:/bin'
    def (res2, err2) = h.run(version: '9.9.9')
    assert err2 != null && err2.contains('pins no checksum for pipeguard-9.9.9-')
    assert err2.contains("pass sha256:")
    assert h.steps('sh').every { !it.script.contains('install.sh install') }
}

test('release download: verified against the pinned table, reused, tampered and missing refused') {
    String target = ['sh', new File(root, 'resources/io/pipeguard/install.sh').path, 'target'].execute().text.trim()
    assert target, 'this machine has a release target'
    String name = "pipeguard-7.7.7-${target}.tar.gz"
    byte[] asset = releaseAsset('7.7.7', target, new File(fakeBin))
    def host = new ReleaseHost()
    host.files["/v7.7.7/${name}".toString()] = asset
    Map opts = [version: '7.7.7', downloadUrl: host.url() + '/v${version}/${asset}']
    String table = "# test table\n${sha256(asset)}  ${name}\n"
    try {
        def h = new Harness(root)
        h.env.PATH = '/usr/bin:/bin'
        h.resources['io/pipeguard/checksums.txt'] = table
        def (res, err) = h.run(opts)
        assert err == null, err
        assert host.hits == 1
        assert h.fakeArgs('scan') != null
        File cached = new File(h.ws, "cache/7.7.7/${target}/pipeguard")
        assert cached.canExecute()
        assert h.steps('sh').find { it.script.contains('install.sh install') }.env.PIPEGUARD_URL ==
            "${host.url()}/v7.7.7/${name}".toString()

        // The next build on this agent finds the verified binary in the cache: no download.
        def h2 = new Harness(root)
        h2.env.PATH = '/usr/bin:/bin'
        h2.env.PIPEGUARD_CACHE = new File(h.ws, 'cache').path
        h2.resources['io/pipeguard/checksums.txt'] = table
        def (res2, err2) = h2.run(opts)
        assert err2 == null, err2
        assert host.hits == 1 && h2.fakeArgs('scan') != null

        // Tampered: the served bytes are not the pinned ones; nothing is unpacked or run.
        host.files["/v7.7.7/${name}".toString()] = (asset as List) + [0 as byte] as byte[]
        def h3 = new Harness(root)
        h3.env.PATH = '/usr/bin:/bin'
        h3.resources['io/pipeguard/checksums.txt'] = table
        def (res3, err3) = h3.run(opts)
        assert err3 != null && err3.contains('exit code 4') && err3.contains("checksum mismatch"), err3
        assert err3.contains(sha256(asset))
        assert h3.fakeArgs('scan') == null && h3.fakeArgs('gate') == null
        assert !new File(h3.ws, "cache/7.7.7/${target}/pipeguard").exists()

        // Missing: the release has no such asset.
        host.files.clear()
        def h4 = new Harness(root)
        h4.env.PATH = '/usr/bin:/bin'
        h4.resources['io/pipeguard/checksums.txt'] = table
        def (res4, err4) = h4.run(opts)
        assert err4 != null && err4.contains('exit code 3') && err4.contains('could not download'), err4
        assert err4.contains('404')

        // A download the table does not pin is accepted only with an explicit sha256.
        host.files['/custom/pipeguard.tar.gz'] = asset
        Map custom = [version: '7.7.7', downloadUrl: host.url() + '/custom/pipeguard.tar.gz']
        def h5 = new Harness(root)
        h5.env.PATH = '/usr/bin:/bin'
        def (res5, err5) = h5.run(custom)
        assert err5 != null && err5.contains('pins no checksum'), err5
        def (res6, err6) = h5.run(custom + [sha256: sha256(asset)])
        assert err6 == null, err6
        assert h5.fakeArgs('scan') != null

        // No http except to loopback.
        def h6 = new Harness(root)
        h6.env.PATH = '/usr/bin:/bin'
        def (res7, err7) = h6.run([version: '7.7.7', downloadUrl: 'http://127.0.0.1@example.com/x.tar.gz', sha256: '0' * 64])
        assert err7 != null && err7.contains("refusing URL"), err7
    } finally {
        host.stop()
    }
}

test('the gate gets the GitHub token, the scan never does; junit leaves the result to onFindings') {
    def h = new Harness(root)
    h.fake.FAKE_SCAN_EXIT = 1
    def (res, err) = h.run(binary: fakeBin, credentialsId: 'github-token', onFindings: 'ignore')
    assert err == null, err
    def wc = h.steps('withCredentials')
    assert wc.size() == 1 && wc[0].bindings[0].kind == 'string' && wc[0].bindings[0].credentialsId == 'github-token'
    assert wc[0].bindings[0].variable == 'GITHUB_TOKEN'
    def gateSh = h.steps('sh').find { it.script.contains(' gate ') }
    assert gateSh.credentials && gateSh.env.GITHUB_TOKEN
    assert h.steps('sh').findAll { it.script.contains(' scan ') }.every { !it.credentials && !it.env.containsKey('GITHUB_TOKEN') }
    // Findings with onFindings: 'ignore' leave the build green: the junit step may not mark it.
    def j = h.steps('junit')[0]
    assert j.skipMarkingBuildUnstable == true
    assert h.result == 'SUCCESS' && res.status == 'findings'

    h = new Harness(root)
    def (r2, e2) = h.run(binary: fakeBin, token: 'ghs_example')
    assert e2 == null, e2
    assert h.steps('sh').find { it.script.contains(' gate ') }.env.GITHUB_TOKEN == 'ghs_example'
    assert h.steps('sh').find { it.script.contains(' scan ') }.env.GITHUB_TOKEN == System.getenv('GITHUB_TOKEN')
}

test('bad options are rejected with a clear error') {
    def h = new Harness(root)
    def (r1, e1) = h.run(binary: fakeBin, failon: 'high')
    assert e1.contains('unknown option(s) failon')
    def (r2, e2) = h.run(binary: fakeBin, attest: true)
    assert e2.contains('keyCredentialsId')
    def (r3, e3) = h.run(binary: fakeBin, onFindings: 'explode')
    assert e3.contains('onFindings')
}

if (failures) {
    println "${failures} test(s) failed"
    System.exit(1)
}
println 'all pipeguard step tests passed'
