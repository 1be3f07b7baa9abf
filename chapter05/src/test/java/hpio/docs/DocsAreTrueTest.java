package hpio.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/ (and the top-level README.md) true to the code. Each failure names
 * the doc, the line and what is wrong.
 *
 * <ol>
 *   <li><b>Paths.</b> Every repository path written in a doc (in a code span, a
 *       fence or a relative link) exists: tokens starting {@code chapter05/},
 *       {@code exercises/}, {@code solutions/}, {@code docs/}, {@code .ci/},
 *       {@code .mvn/}, and the root files {@code Makefile}, {@code high_perf_lb},
 *       {@code mvnw}, {@code pom.xml}. Build output ({@code .../target/...}) is
 *       skipped: it exists only after a build. A {@code *} in the last segment is a glob.</li>
 *   <li><b>Classes and methods.</b> A code span such as {@code EventLoop},
 *       {@code EventLoop.runOnce}, {@code EventLoop#runOnce()},
 *       {@code hpio.lb.hooks.ReadPolicy}, {@code Connection.Flow} or
 *       {@code Events.READ} names a class found by simple name in
 *       chapter05/src/{main,test,bench}/java, exercises/src or solutions/src; a
 *       method must appear in that class's file as {@code name(} (a field as a
 *       declaration), a constant or nested type as a word. A capitalised name that is
 *       not ours must be a JDK (or test-library) class, or be listed in
 *       {@link #FOREIGN_NAMES}: so a misspelt class is caught, not skipped.</li>
 *   <li><b>Java snippets.</b> A {@code ```java} fence is either cut from source
 *       (the line before it is {@code <!-- snippet: path#name -->}; see
 *       {@link DocSnippets}) and equal to that region, or it compiles against the
 *       test class path. A snippet declaring a top-level type is compiled as a file
 *       (with the imports below prepended unless it has its own); any other is a
 *       list of statements, compiled as the body of
 *       {@code void run() throws Exception} in a class that has the imports below.</li>
 *   <li><b>make targets.</b> Every {@code make TARGET} in a code span, or at the start
 *       of a line in a fence, is a target of the Makefile.</li>
 *   <li><b>Diagrams.</b> A fence with no language in docs/ is a diagram: ASCII
 *       only, at most 80 columns.</li>
 * </ol>
 */
class DocsAreTrueTest {
    /** Names of other projects' classes that the docs mention in code spans, with where they are from. */
    static final Map<String, String> FOREIGN_NAMES = Map.of(
            "WriteBufferWaterMark", "Netty (io.netty.channel)",
            "EPollSelectorImpl", "the JDK's internal sun.nio.ch");

    /** Imports every compiled snippet gets (unless it brings its own). */
    static final List<String> SNIPPET_IMPORTS = List.of(
            "import hpio.demo.*;", "import hpio.lb.*;", "import hpio.lb.hooks.*;", "import hpio.loop.*;",
            "import hpio.loop.backends.*;", "import hpio.nativeio.*;", "import hpio.net.*;",
            "import java.io.*;", "import java.lang.foreign.*;", "import java.net.*;", "import java.nio.*;",
            "import java.nio.channels.*;", "import java.util.*;", "import static hpio.loop.Events.*;");

    /** Where an unqualified JDK (or test-library) class name may live. */
    private static final List<String> KNOWN_PACKAGES = List.of(
            "java.lang", "java.io", "java.util", "java.util.concurrent", "java.util.function", "java.nio",
            "java.nio.channels", "java.nio.file", "java.net", "java.lang.foreign", "java.lang.invoke",
            "java.lang.ref", "javax.tools", "sun.misc", "org.junit.jupiter.api", "org.openjdk.jmh.annotations");

    private static final List<String> SOURCE_ROOTS = List.of(
            "chapter05/src/main/java", "chapter05/src/test/java", "chapter05/src/bench/java",
            "exercises/src", "solutions/src");

    private static final Pattern PATH = Pattern.compile(
            "(?<![\\w./-])(?:\\./)?((?:chapter05|exercises|solutions|docs|\\.ci|\\.mvn)/[\\w./*-]*"
                    + "|(?:Makefile|high_perf_lb|mvnw|pom\\.xml)(?![\\w.-]))");
    private static final Pattern REFERENCE = Pattern.compile(
            "((?:[a-z]\\w*\\.)*)([A-Z]\\w*(?:\\.[A-Z]\\w*)*)(?:[.#]([a-z_]\\w*))?\\s*(\\(.*\\))?");
    private static final Pattern CONSTANT = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final Pattern CLASS_NAME = Pattern.compile("[A-Z]\\w*[a-z]\\w*");
    private static final Pattern MAKE = Pattern.compile("(?:^|\\s)make\\s+([a-z][\\w-]*)(?![\\w=-])");
    private static final Pattern MAKE_LINE = Pattern.compile("^\\s*(?:\\$\\s+)?make\\s+([a-z][\\w-]*)(?![\\w=-])");
    private static final Pattern TYPE_DECLARATION = Pattern.compile("\\b(?:class|interface|record|enum)\\s+([A-Z]\\w*)");
    private static final Pattern TOP_LEVEL_TYPE = Pattern.compile(
            "(?m)^(?:(?:public|final|abstract|sealed|non-sealed)\\s+)*(?:class|interface|record|enum)\\s+([A-Z]\\w*)");
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "(?m)^public\\s+(?:(?:final|abstract|sealed|non-sealed)\\s+)*(?:class|interface|record|enum)\\s+([A-Z]\\w*)");

    private static Path root;
    private static List<MarkdownDoc> docs;
    /** Simple type name (top-level or nested) to the source files declaring it. */
    private static final Map<String, List<Path>> TYPES = new HashMap<>();

    @BeforeAll
    static void readEverything() throws IOException {
        root = MarkdownDoc.repositoryRoot();
        docs = MarkdownDoc.all(root);
        for (String sourceRoot : SOURCE_ROOTS) {
            Path dir = root.resolve(sourceRoot);
            if (!Files.isDirectory(dir)) continue;
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String simple = p.getFileName().toString().replace(".java", "");
                    TYPES.computeIfAbsent(simple, k -> new ArrayList<>()).add(p);
                    Matcher m = TYPE_DECLARATION.matcher(Files.readString(p));
                    while (m.find()) {
                        List<Path> files = TYPES.computeIfAbsent(m.group(1), k -> new ArrayList<>());
                        if (!files.contains(p)) files.add(p);
                    }
                }
            }
        }
    }

    private static String where(MarkdownDoc doc, int line) {
        return doc.name + ":" + line + ": ";
    }

    // ------------------------------------------------------------------ paths

    @Test
    void everyPathNamedInTheDocsExists() {
        assertThat(pathProblems(docs)).as("paths in the docs that do not exist").isEmpty();
    }

    /** Check 1 on {@code docs}: one line per problem, naming the page and line. */
    static List<String> pathProblems(List<MarkdownDoc> docs) {
        List<String> problems = new ArrayList<>();
        for (MarkdownDoc doc : docs) {
            for (MarkdownDoc.Found span : doc.codeSpans) checkPaths(doc, span.line(), span.text(), problems);
            for (MarkdownDoc.Fence fence : doc.fences) {
                if (fence.isJava()) continue;
                for (int i = 0; i < fence.lines().size(); i++) {
                    checkPaths(doc, fence.startLine() + 1 + i, fence.lines().get(i), problems);
                }
            }
            for (MarkdownDoc.Found link : doc.links) {
                String target = link.text();
                if (target.startsWith("#") || target.matches("^[a-z][a-z0-9+.-]*:.*")) continue;   // anchors, URLs
                String file = target.replaceFirst("#.*$", "");
                Path resolved = doc.file.getParent().resolve(URI.create(file).getPath()).normalize();
                if (!Files.exists(resolved)) {
                    problems.add(where(doc, link.line()) + "link target '" + target + "' does not exist (resolved to "
                            + root.relativize(resolved) + ")");
                }
            }
        }
        return problems;
    }

    private static void checkPaths(MarkdownDoc doc, int line, String text, List<String> problems) {
        Matcher m = PATH.matcher(text);
        while (m.find()) {
            String path = m.group(1).replaceAll("[.,:;)]+$", "");
            if (path.contains("/target/") || path.endsWith("/target")) continue;    // build output
            if (!exists(path)) problems.add(where(doc, line) + "path '" + path + "' does not exist");
        }
    }

    private static boolean exists(String path) {
        if (!path.contains("*")) return Files.exists(root.resolve(path));
        int slash = path.lastIndexOf('/');
        Path dir = root.resolve(path.substring(0, slash));
        if (!Files.isDirectory(dir)) return false;
        try (DirectoryStream<Path> matches = Files.newDirectoryStream(dir, path.substring(slash + 1))) {
            return matches.iterator().hasNext();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ classes and methods

    @Test
    void everyClassAndMethodNamedInTheDocsExists() throws IOException {
        assertThat(referenceProblems(docs)).as("classes and methods named in the docs that do not exist").isEmpty();
    }

    /** Check 2 on {@code docs}. */
    static List<String> referenceProblems(List<MarkdownDoc> docs) throws IOException {
        List<String> problems = new ArrayList<>();
        for (MarkdownDoc doc : docs) {
            for (MarkdownDoc.Found span : doc.codeSpans) {
                String problem = checkReference(span.text());
                if (problem != null) problems.add(where(doc, span.line()) + "`" + span.text() + "`: " + problem);
            }
        }
        return problems;
    }

    /** Null when the span is fine or names no class; else what is wrong. */
    static String checkReference(String span) throws IOException {
        if (PATH.matcher(span).lookingAt()) return null;                  // a path, checked above
        Matcher m = REFERENCE.matcher(span);
        if (!m.matches()) return null;
        String pkg = m.group(1).isEmpty() ? null : m.group(1).substring(0, m.group(1).length() - 1);
        String[] segments = m.group(2).split("\\.");
        String member = m.group(3);
        if (!CLASS_NAME.matcher(segments[0]).matches()) return null;     // EPOLLIN, FD_SET: not a class name
        if (pkg != null && !pkg.startsWith("hpio")) return null;          // sun.misc.Signal and the like
        List<Path> files = TYPES.get(segments[0]);
        if (files == null) {
            if (pkg != null) return "no class " + segments[0] + " in this project (package " + pkg + ")";
            if (FOREIGN_NAMES.containsKey(segments[0]) || isKnownLibraryClass(segments[0])) return null;
            return "no class " + segments[0] + " in this project (searched " + String.join(", ", SOURCE_ROOTS)
                    + ") nor in the JDK; fix the name, or add it to DocsAreTrueTest.FOREIGN_NAMES";
        }
        if (pkg != null) {
            boolean inPackage = false;
            for (Path f : files) if (Files.readString(f).contains("package " + pkg + ";")) inPackage = true;
            if (!inPackage) return "class " + segments[0] + " is not in package " + pkg;
        }
        // Later capitalised segments: a nested type, or (last only) a constant.
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1 && member == null;
            if (last && CONSTANT.matcher(s).matches()) {
                if (!anyFileMatches(files, "\\b" + s + "\\b")) return "no constant " + s + " in " + names(files);
            } else if (!anyFileMatches(files, "\\b(?:class|interface|record|enum)\\s+" + s + "\\b")) {
                return "no nested type " + s + " in " + names(files);
            }
        }
        if (member != null && !anyFileMatches(files, "\\b" + member + "\\s*\\(")
                && !anyFileMatches(files, "\\b" + member + "\\s*[;=,)]")) {
            return "no method " + member + "( (nor field " + member + ") in " + names(files);
        }
        return null;
    }

    private static boolean isKnownLibraryClass(String simpleName) {
        for (String p : KNOWN_PACKAGES) {
            try {
                Class.forName(p + "." + simpleName, false, DocsAreTrueTest.class.getClassLoader());
                return true;
            } catch (ClassNotFoundException | LinkageError notThere) {
                // next package
            }
        }
        return false;
    }

    private static boolean anyFileMatches(List<Path> files, String regex) throws IOException {
        Pattern p = Pattern.compile(regex);
        for (Path f : files) if (p.matcher(Files.readString(f)).find()) return true;
        return false;
    }

    private static String names(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) out.add(root.relativize(f).toString());
        return String.join(" or ", out);
    }

    // ------------------------------------------------------------------ snippets

    @Test
    void everyJavaSnippetIsCutFromSourceOrCompiles() throws IOException {
        assertThat(snippetProblems(docs)).as("java snippets that are neither equal to their source region nor compile")
                .isEmpty();
    }

    /** Check 3 on {@code docs}. */
    static List<String> snippetProblems(List<MarkdownDoc> docs) throws IOException {
        List<String> problems = new ArrayList<>();
        int cut = 0, compiled = 0;
        for (MarkdownDoc doc : docs) {
            for (MarkdownDoc.Fence fence : doc.fences) {
                if (!fence.isJava()) continue;
                if (fence.markerFile() != null) {
                    cut++;
                    String problem = compareWithSource(fence);
                    if (problem != null) problems.add(where(doc, fence.startLine()) + problem);
                } else {
                    compiled++;
                    problems.addAll(compile(doc, fence));
                }
            }
        }
        System.out.printf("DocsAreTrueTest: %d java snippets cut from source, %d compiled%n", cut, compiled);
        return problems;
    }

    private static String compareWithSource(MarkdownDoc.Fence fence) throws IOException {
        List<String> region;
        try {
            region = DocSnippets.region(root, fence.markerFile(), fence.markerName());
        } catch (IllegalArgumentException e) {
            return "snippet marker " + fence.markerFile() + "#" + fence.markerName() + ": " + e.getMessage();
        }
        List<String> shown = DocSnippets.normalise(fence.lines());
        if (shown.equals(region)) return null;
        int i = 0;
        while (i < shown.size() && i < region.size() && shown.get(i).equals(region.get(i))) i++;
        String doc = i < shown.size() ? "'" + shown.get(i) + "'" : "(end of snippet)";
        String src = i < region.size() ? "'" + region.get(i) + "'" : "(end of region)";
        return "snippet differs from " + fence.markerFile() + "#" + fence.markerName() + " at its line " + (i + 1)
                + " (doc line " + (fence.startLine() + 1 + i) + "): doc has " + doc + ", source has " + src
                + "; run chapter05/scripts/snippets.sh --update";
    }

    /** Compiles one unmarked snippet; returns its problems (javac's errors, mapped to doc lines). */
    private static List<String> compile(MarkdownDoc doc, MarkdownDoc.Fence fence) throws IOException {
        String body = fence.text();
        boolean ownImports = Pattern.compile("(?m)^\\s*(?:package|import)\\s").matcher(body).find();
        Matcher type = TOP_LEVEL_TYPE.matcher(body);
        List<String> prefix = new ArrayList<>();
        String suffix = "";
        String className;
        if (type.find()) {
            if (!ownImports) prefix.addAll(SNIPPET_IMPORTS);
            Matcher pub = PUBLIC_TYPE.matcher(body);
            className = pub.find() ? pub.group(1) : type.group(1);
        } else {
            prefix.addAll(SNIPPET_IMPORTS);
            className = "Snippet";
            prefix.add("class Snippet {");
            prefix.add("    void run() throws Exception {");
            suffix = "\n    }\n}\n";
        }
        Matcher pkg = Pattern.compile("(?m)^\\s*package\\s+([\\w.]+)\\s*;").matcher(body);
        Path dir = Files.createTempDirectory("doc-snippet");
        Path srcDir = dir.resolve("src");
        if (pkg.find()) srcDir = srcDir.resolve(pkg.group(1).replace('.', File.separatorChar));
        Files.createDirectories(srcDir);
        Path source = srcDir.resolve(className + ".java");
        Files.writeString(source, String.join("\n", prefix) + (prefix.isEmpty() ? "" : "\n") + body + "\n" + suffix);
        Path out = Files.createDirectories(dir.resolve("classes"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> problems = new ArrayList<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = List.of("-classpath", classPath(), "-d", out.toString(), "-proc:none",
                    "-implicit:none", "-Xlint:none", "-nowarn");
            StringWriter javacOut = new StringWriter();
            boolean ok = javac.getTask(javacOut, files, diagnostics, options, null,
                    files.getJavaFileObjects(source.toFile())).call();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR) continue;
                long snippetLine = d.getLineNumber() - prefix.size();
                int docLine = fence.startLine() + (int) Math.max(1, Math.min(snippetLine, fence.lines().size()));
                problems.add(where(doc, docLine) + "java snippet does not compile: "
                        + d.getMessage(Locale.ROOT).lines().findFirst().orElse("")
                        + " (mark it <!-- snippet: path#name --> if it is cut from source)");
            }
            if (!ok && problems.isEmpty()) {
                problems.add(where(doc, fence.startLine()) + "java snippet does not compile: " + javacOut);
            }
        }
        return problems;
    }

    private static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        entries.add(root.resolve("chapter05/target/classes").toString());
        entries.add(root.resolve("chapter05/target/test-classes").toString());
        // Surefire passes the test class path in this property (java.class.path may
        // be only its booter jar); run elsewhere, java.class.path is the class path.
        for (String key : List.of("surefire.test.class.path", "java.class.path")) {
            String cp = System.getProperty(key);
            if (cp != null) for (String e : cp.split(File.pathSeparator)) if (!e.isBlank()) entries.add(e);
        }
        return String.join(File.pathSeparator, entries);
    }

    // ------------------------------------------------------------------ make targets

    @Test
    void everyMakeTargetNamedInTheDocsExists() throws IOException {
        assertThat(makeTargetProblems(docs)).as("make targets named in the docs that the Makefile lacks").isEmpty();
    }

    /** Check 4 on {@code docs}, against the repository's Makefile. */
    static List<String> makeTargetProblems(List<MarkdownDoc> docs) throws IOException {
        Set<String> targets = new TreeSet<>();
        Matcher t = Pattern.compile("(?m)^([a-z][\\w-]*)\\s*:(?!=)").matcher(Files.readString(root.resolve("Makefile")));
        while (t.find()) targets.add(t.group(1));
        List<String> problems = new ArrayList<>();
        for (MarkdownDoc doc : docs) {
            for (MarkdownDoc.Found span : doc.codeSpans) {
                Matcher m = MAKE.matcher(span.text());
                while (m.find()) checkTarget(doc, span.line(), m.group(1), targets, problems);
            }
            for (MarkdownDoc.Fence fence : doc.fences) {
                if (fence.isJava()) continue;
                for (int i = 0; i < fence.lines().size(); i++) {
                    Matcher m = MAKE_LINE.matcher(fence.lines().get(i));
                    if (m.find()) checkTarget(doc, fence.startLine() + 1 + i, m.group(1), targets, problems);
                }
            }
        }
        return problems;
    }

    private static void checkTarget(MarkdownDoc doc, int line, String target, Set<String> targets,
                                    List<String> problems) {
        if (targets.contains(target)) return;
        problems.add(where(doc, line) + "'make " + target + "': the Makefile has no target " + target
                + " (it has " + String.join(", ", targets) + ")");
    }

    // ------------------------------------------------------------------ diagrams

    @Test
    void diagramsAreAsciiAndAtMostEightyColumns() {
        assertThat(diagramProblems(docs)).as("diagrams (fences without a language) that are not ASCII within 80 columns")
                .isEmpty();
    }

    /** Check 5 on {@code docs} (the pages under docs/ only). */
    static List<String> diagramProblems(List<MarkdownDoc> docs) {
        List<String> problems = new ArrayList<>();
        for (MarkdownDoc doc : docs) {
            if (!doc.name.startsWith("docs")) continue;
            for (MarkdownDoc.Fence fence : doc.fences) {
                if (!fence.isDiagram()) continue;
                for (int i = 0; i < fence.lines().size(); i++) {
                    String l = fence.lines().get(i);
                    int line = fence.startLine() + 1 + i;
                    if (l.length() > 80) problems.add(where(doc, line) + "diagram line is " + l.length() + " columns (at most 80)");
                    for (int c = 0; c < l.length(); c++) {
                        char ch = l.charAt(c);
                        if (ch > 126 || (ch < 32 && ch != '\t')) {
                            problems.add(where(doc, line) + "diagram has a non-ASCII character '" + ch + "' at column "
                                    + (c + 1) + " (draw with - | + < > ^ v / \\ and letters)");
                            break;
                        }
                    }
                }
            }
        }
        return problems;
    }

    // ------------------------------------------------------------------ the check checked

    // Each check run on a synthetic page: the mistake is reported with the page and the
    // line, and the same page without the mistake passes (so the check discriminates).

    private static final String PAGE = "docs/synthetic.md";

    private static List<MarkdownDoc> page(String... lines) {
        return List.of(new MarkdownDoc(root, PAGE, List.of(lines)));
    }

    @Test
    void theCheckCatchesAMissingPathAndABrokenLink() {
        assertThat(pathProblems(page("# A page", "", "Run `chapter05/scripts/footprint.sh` and [see](06-performance.md)."))).isEmpty();
        List<String> problems = pathProblems(page(
                "# A page",
                "",
                "Run `chapter05/scripts/footprnt.sh` first.",
                "Then [see the numbers](06-performnce.md#try-it)."));
        assertThat(problems).containsExactly(
                PAGE + ":3: path 'chapter05/scripts/footprnt.sh' does not exist",
                PAGE + ":4: link target '06-performnce.md#try-it' does not exist (resolved to docs/06-performnce.md)");
    }

    @Test
    void theCheckCatchesAMisspeltClassOrMethod() throws IOException {
        assertThat(referenceProblems(page("`EventLoop.runOnce` and `hpio.loop.Timer`"))).isEmpty();
        List<String> problems = referenceProblems(page("# A page", "`EventLop.runOnce` turns the loop once;",
                "`EventLoop.runOnse` does not exist either, nor `hpio.net.Timer`."));
        assertThat(problems).hasSize(3);
        // (Never "class" and a capitalised name in one literal here: the check would take this file to declare it.)
        assertThat(problems.get(0)).startsWith(PAGE + ":2: `EventLop.runOnce`: no class" + " EventLop in this project");
        assertThat(problems.get(1)).startsWith(PAGE + ":3: `EventLoop.runOnse`: no method runOnse( (nor field runOnse) in "
                + "chapter05/src/main/java/hpio/loop/EventLoop.java");
        assertThat(problems.get(2)).isEqualTo(PAGE + ":3: `hpio.net.Timer`: class" + " Timer is not in package hpio.net");
    }

    @Test
    void theCheckCatchesAStaleSnippet() throws IOException {
        String file = "chapter05/src/main/java/hpio/loop/Events.java";
        List<String> region = DocSnippets.region(root, file, "events-flags");
        List<String> fresh = new ArrayList<>(List.of("# A page", "", "<!-- snippet: " + file + "#events-flags -->", "```java"));
        fresh.addAll(region);
        fresh.add("```");
        assertThat(snippetProblems(page(fresh.toArray(String[]::new)))).isEmpty();

        List<String> stale = new ArrayList<>(fresh);
        stale.set(7, stale.get(7).replace("1 << 1", "1 << 5"));    // the page still shows an old value of WRITE
        List<String> problems = snippetProblems(page(stale.toArray(String[]::new)));
        assertThat(problems).singleElement().asString()
                .startsWith(PAGE + ":4: snippet differs from " + file + "#events-flags at its line 4 (doc line 8): ")
                .contains("doc has 'public static final int WRITE = 1 << 5;'")
                .contains("source has 'public static final int WRITE = 1 << 1;'");
    }

    @Test
    void theCheckCatchesASnippetThatDoesNotCompile() throws IOException {
        assertThat(snippetProblems(page("```java",
                "EventLoop loop = hpio.transport.Transport.open(\"auto\", 64).loop();", "loop.runOnce(0);", "```")))
                .isEmpty();
        List<String> problems = snippetProblems(page("# A page", "", "```java",
                "EventLoop loop = hpio.transport.Transport.open(\"auto\", 64).loop();", "loop.runOnse(0);", "```"));
        assertThat(problems).singleElement().asString()
                .startsWith(PAGE + ":5: java snippet does not compile: cannot find symbol");
    }

    @Test
    void theCheckCatchesADiagramThatIsNotAsciiOrTooWide() {
        String eighty = "+" + "-".repeat(78) + "+";
        assertThat(diagramProblems(page("# A page", "```", eighty, "| a -> b |", "```"))).isEmpty();
        List<String> problems = diagramProblems(page("# A page", "```", eighty, "| a \u2192 b |", eighty + "-", "```"));
        assertThat(problems).containsExactly(
                PAGE + ":4: diagram has a non-ASCII character '\u2192' at column 5 (draw with - | + < > ^ v / \\ and letters)",
                PAGE + ":5: diagram line is 81 columns (at most 80)");
    }

    @Test
    void theCheckCatchesAMakeTargetThatDoesNotExist() throws IOException {
        assertThat(makeTargetProblems(page("`make bench`", "```sh", "make stress DURATION=5", "```"))).isEmpty();
        List<String> problems = makeTargetProblems(page("# A page", "Run `make benchmark`:", "```sh",
                "make footprnt", "```"));
        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).startsWith(PAGE + ":2: 'make benchmark': the Makefile has no target benchmark (it has ");
        assertThat(problems.get(1)).startsWith(PAGE + ":4: 'make footprnt': the Makefile has no target footprnt (it has ");
    }
}
