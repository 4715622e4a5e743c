// Parse-only check with the Groovy compiler itself (Debian `groovy`, 2.4.x, the Groovy line Jenkins
// embeds): each file given on the command line is compiled to the CONVERSION phase (parsed and
// turned into an AST; no class resolution, so unknown steps and imports do not matter).
// Prints one line per file: `OK <file>` or `ERR <file> <line>:<col> <message>`.
// Usage: groovy bench/jenkins/groovy-parse.groovy FILE...   (or - to read file names from stdin)
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.MultipleCompilationErrorsException
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.messages.SyntaxErrorMessage

def names = (args.length == 1 && args[0] == '-') ? System.in.readLines() : args.toList()
for (String name in names) {
    def cu = new CompilationUnit(new CompilerConfiguration())
    cu.addSource(new File(name))
    try {
        cu.compile(Phases.CONVERSION)
        println "OK ${name}"
    } catch (MultipleCompilationErrorsException e) {
        def m = e.errorCollector.errors.find { it instanceof SyntaxErrorMessage }
        if (m != null) {
            def c = m.cause
            println "ERR ${name} ${c.line}:${c.startColumn} ${c.originalMessage.readLines().first()}"
        } else {
            println "ERR ${name} ?:? ${e.message.readLines().find { it.trim() } }"
        }
    } catch (Throwable t) {
        println "ERR ${name} ?:? ${t.class.simpleName}: ${String.valueOf(t.message).readLines().first()}"
    }
}
