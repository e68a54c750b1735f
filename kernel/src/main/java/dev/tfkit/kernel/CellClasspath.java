package dev.tfkit.kernel;

import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import jdk.jshell.execution.LoaderDelegate;
import jdk.jshell.spi.ExecutionControl.ClassBytecodes;
import jdk.jshell.spi.ExecutionControl.ClassInstallException;
import jdk.jshell.spi.ExecutionControl.InternalException;

/**
 * Which classes a notebook's cells see. The kernel's JVM holds the kernel's own libraries (ZeroMQ,
 * gson, the Maven resolver, gRPC, Jackson, ...), but cells are loaded by a class loader whose
 * parent serves only tfkit's API and the libraries its signatures use: tfkit itself, TF Java,
 * protobuf, Tablesaw, XChart, and the kernel's cell-facing classes (IJava's runtime API and its
 * {@code DisplayData}). Everything else a cell names must come from the user's own jars
 * ({@code %maven}, {@code %jars}, {@code %%loadFromPOM}, {@code IJAVA_CLASSPATH}).
 *
 * <p>When a user jar holds classes of one of those shared libraries that tfkit has too (another
 * XChart version, say), the whole library is then taken from the user's jars for the user's code
 * (compiling and running), and a note says which tfkit features may not render its objects.
 *
 * <p>Compiling follows the same rules, with one difference: the libraries tfkit's own signatures
 * mention beyond the four (gRPC's {@code Channel}, Jackson's {@code JsonNode}, guava) stay
 * readable by the compiler, so that calls to such tfkit methods compile; cells cannot load those
 * classes themselves. The kernel's internals (Jupyter protocol, ZeroMQ, gson, the Maven resolver)
 * are hidden from the compiler too.
 */
final class CellClasspath {
  /** Class name prefixes cells may load from the kernel's class loader. */
  static final List<String> SHARED = List.of(
      "dev.tfkit.",
      "tensorflow.serving.",
      "org.tensorflow.",
      "com.google.protobuf.",
      "tech.tablesaw.",
      "org.knowm.xchart.",
      "io.github.spencerpark.ijava.",
      "io.github.spencerpark.jupyter.kernel.display.");

  /** Prefixes under {@link #SHARED} that are the kernel's internals all the same. */
  static final List<String> KERNEL_ONLY = List.of(
      "dev.tfkit.kernel.protocol.", "dev.tfkit.kernel.spec.", "dev.tfkit.cli.");

  /** The kernel's internals: hidden from the compiler as well (unless a user jar brings them). */
  static final List<String> INTERNALS = List.of(
      "dev.tfkit.kernel.protocol.", "dev.tfkit.kernel.spec.", "dev.tfkit.cli.",
      "io.github.spencerpark.jupyter.", "com.google.gson.", "org.zeromq.", "zmq.",
      "eu.neilalexander.", "org.eclipse.aether.", "org.apache.maven.", "org.codehaus.plexus.",
      "org.apache.http.", "org.apache.commons.codec.", "org.apache.commons.logging.", "org.slf4j.",
      "org.commonmark.", "picocli.");

  /** A library tfkit shares with cells, and what of tfkit's depends on the kernel's copy of it. */
  record Library(String name, List<String> prefixes, String features) {}

  static final List<Library> LIBRARIES = List.of(
      new Library("XChart", List.of("org.knowm.xchart."),
          "tfkit's chart rendering of XYChart, CategoryChart and XChart's other charts"),
      new Library("Tablesaw", List.of("tech.tablesaw."), "tfkit's HTML rendering of Table"),
      new Library("protobuf", List.of("com.google.protobuf."),
          "tfkit's API (its TensorFlow and TF Serving messages are tfkit's protobuf classes)"),
      new Library("TF Java", List.of("org.tensorflow."),
          "tfkit's API and its rendering of tensors (they are tfkit's TF Java classes)"),
      new Library("tfkit", List.of("dev.tfkit.", "tensorflow.serving.", "io.github.spencerpark.ijava.", "io.github.spencerpark.jupyter.kernel.display."),
          "the notebook functions (display, render, magics) and tfkit's API"));

  private final ClassLoader kernelLoader;
  /** Libraries the user's jars replace, for the user's code. */
  private final Set<Library> replaced = ConcurrentHashMap.newKeySet();
  /** Libraries whose classes cells already got from the kernel (those can no longer be replaced). */
  private final Set<Library> served = ConcurrentHashMap.newKeySet();
  /** The user's classpath entries (real paths), in order. */
  private final Set<Path> userEntries = Collections.synchronizedSet(new LinkedHashSet<>());
  /** Packages (dotted) the user's entries contain. */
  private final Set<String> userPackages = ConcurrentHashMap.newKeySet();
  private final Map<String, Boolean> originIsUser = new ConcurrentHashMap<>();
  final ApiLoader apiLoader;

  CellClasspath(ClassLoader kernelLoader) {
    this.kernelLoader = kernelLoader;
    this.apiLoader = new ApiLoader();
  }

  static boolean startsWithAny(String name, List<String> prefixes) {
    for (String p : prefixes) if (name.startsWith(p)) return true;
    return false;
  }

  private static Library libraryOf(String className) {
    for (Library l : LIBRARIES) if (startsWithAny(className, l.prefixes())) return l;
    return null;
  }

  /** Whether cells get {@code className} from the kernel (the same class tfkit uses). */
  boolean sharedWithCells(String className) {
    if (!startsWithAny(className, SHARED) || startsWithAny(className, KERNEL_ONLY)) return false;
    if (replaced.isEmpty()) return true;
    Library l = libraryOf(className);
    return l == null || !replaced.contains(l);
  }

  Set<String> replacedLibraries() {
    Set<String> names = new LinkedHashSet<>();
    for (Library l : replaced) names.add(l.name());
    return names;
  }

  /**
   * Records a user classpath entry (a jar or a class folder) before it is added; returns the notes
   * to show when it replaces libraries tfkit shares with cells.
   */
  List<String> addUserEntry(Path entry) {
    Path real;
    try {
      real = entry.toRealPath();
    } catch (IOException e) {
      real = entry.toAbsolutePath().normalize();
    }
    userEntries.add(real);
    originIsUser.clear();
    List<String> notes = new ArrayList<>();
    Map<Library, String> sample = new LinkedHashMap<>();
    Map<String, Integer> tries = new HashMap<>();
    for (String cls : classNames(real)) {
      int dot = cls.lastIndexOf('.');
      String pkg = dot < 0 ? "" : cls.substring(0, dot);
      userPackages.add(pkg);
      // Up to 20 classes per package are compared with the kernel's (a big jar has thousands).
      if (tries.merge(pkg, 1, Integer::sum) > 20) continue;
      if (!startsWithAny(cls, SHARED) || startsWithAny(cls, KERNEL_ONLY)) continue;
      Library l = libraryOf(cls);
      if (l == null || replaced.contains(l) || sample.containsKey(l)) continue;
      URL kernels = kernelLoader.getResource(cls.replace('.', '/') + ".class");
      if (kernels == null) continue; // a class tfkit does not have: no conflict
      Path kernelJar = archiveOf(kernels);
      if (kernelJar != null && sameFile(kernelJar, real)) continue; // tfkit's own jar again
      sample.put(l, cls);
      if (served.contains(l)) {
        // The cells' loader already links tfkit's classes of it; mixing in the user's would not work.
        notes.add(notUsedNote(l, real, kernelJar));
        continue;
      }
      replaced.add(l);
      notes.add(note(l, real, kernelJar));
    }
    return notes;
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (IOException e) {
      return a.equals(b);
    }
  }

  /** "xchart 3.5.2 replaces tfkit's 3.8.8 for your code: tfkit's chart rendering ... may not work". */
  static String note(Library l, Path userJar, Path kernelJar) {
    String[] user = artifactAndVersion(userJar);
    String[] kernel = kernelJar == null ? new String[] {l.name(), null} : artifactAndVersion(kernelJar);
    String name = user[0] != null ? user[0] : l.name();
    String theirs = user[1] != null ? name + " " + user[1] : userJar.getFileName() + " (" + l.name() + ")";
    String ours = kernel[1] != null ? "tfkit's " + kernel[1] : "tfkit's " + l.name();
    return theirs + " replaces " + ours + " for your code: " + l.features() + " may not work";
  }

  /** "xchart 9.9.9 is not used for your code: cells already use tfkit's 3.8.8; restart ...". */
  static String notUsedNote(Library l, Path userJar, Path kernelJar) {
    String[] user = artifactAndVersion(userJar);
    String[] kernel = kernelJar == null ? new String[] {l.name(), null} : artifactAndVersion(kernelJar);
    String name = user[0] != null ? user[0] : l.name();
    String theirs = user[1] != null ? name + " " + user[1] : userJar.getFileName() + " (" + l.name() + ")";
    String ours = "tfkit's " + (kernel[1] != null ? kernel[1] : l.name());
    return theirs + " is not used for your code: cells already use " + ours
        + "; restart the kernel and add it before the first cell that uses " + l.name();
  }

  /** artifactId and version from a Maven repository path ({@code .../a/1.0/a-1.0.jar}), else from the name. */
  static String[] artifactAndVersion(Path jar) {
    String file = jar.getFileName().toString();
    Path versionDir = jar.getParent();
    Path artifactDir = versionDir == null ? null : versionDir.getParent();
    if (artifactDir != null && artifactDir.getFileName() != null) {
      String v = versionDir.getFileName().toString();
      String a = artifactDir.getFileName().toString();
      if (file.startsWith(a + "-" + v)) return new String[] {a, v};
    }
    Matcher m = Pattern.compile("(.+?)-(\\d[^-]*(?:-[A-Za-z0-9.]+)?)\\.jar").matcher(file);
    if (m.matches()) return new String[] {m.group(1), m.group(2)};
    return new String[] {null, null};
  }

  /** The jar or folder a class resource URL comes from. */
  static Path archiveOf(URL url) {
    try {
      String s = url.toString();
      if (s.startsWith("jar:")) {
        int bang = s.indexOf("!/");
        return Path.of(URI.create(s.substring(4, bang < 0 ? s.length() : bang)));
      }
      if (s.startsWith("file:")) return Path.of(url.toURI());
    } catch (RuntimeException | URISyntaxException e) {
      // not a local file
    }
    return null;
  }

  /** The class names (dotted) in a jar or class folder. */
  static List<String> classNames(Path entry) {
    List<String> out = new ArrayList<>();
    if (Files.isDirectory(entry)) {
      try (Stream<Path> s = Files.walk(entry)) {
        s.filter(p -> p.toString().endsWith(".class")).forEach(p -> {
          String rel = entry.relativize(p).toString().replace(File.separatorChar, '/');
          out.add(rel.substring(0, rel.length() - 6).replace('/', '.'));
        });
      } catch (IOException e) {
        // unreadable folder: nothing to compare
      }
    } else if (Files.isRegularFile(entry)) {
      try (ZipFile z = new ZipFile(entry.toFile())) {
        Enumeration<? extends ZipEntry> en = z.entries();
        while (en.hasMoreElements()) {
          String n = en.nextElement().getName();
          if (!n.endsWith(".class") || n.startsWith("META-INF/")) continue;
          out.add(n.substring(0, n.length() - 6).replace('/', '.'));
        }
      } catch (IOException e) {
        // not a jar: JShell will say so
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Compiling: what javac may read from the kernel's class path

  /** Wraps JShell's file manager so that javac sees the same classes cells do. */
  StandardJavaFileManager compilerView(StandardJavaFileManager std) {
    return new CompilerView(std);
  }

  private boolean compileVisible(String packageName, JavaFileObject fo) {
    String cls = packageName.isEmpty() ? "" : packageName + ".";
    boolean shared = startsWithAny(cls, SHARED) && !startsWithAny(cls, KERNEL_ONLY);
    if (shared) {
      Library l = libraryOf(cls);
      if (l == null || !replaced.contains(l)) return true;
      return fromUser(fo);
    }
    if (fromUser(fo)) return true;
    // The user's jars bring this package: theirs, not the kernel's.
    if (userPackages.contains(packageName)) return false;
    return !startsWithAny(cls, INTERNALS);
  }

  private boolean fromUser(JavaFileObject fo) {
    if (userEntries.isEmpty()) return false;
    String uri = fo.toUri().toString();
    String key = uri.startsWith("jar:") && uri.indexOf("!/") > 0 ? uri.substring(0, uri.indexOf("!/")) : uri;
    if (!uri.startsWith("jar:")) {
      for (Path p : userEntries) if (uri.startsWith(p.toUri().toString())) return true;
      return false;
    }
    return originIsUser.computeIfAbsent(key, k -> {
      try {
        Path jar = Path.of(URI.create(k.substring(4))).toRealPath();
        return userEntries.contains(jar);
      } catch (IOException | RuntimeException e) {
        return false;
      }
    });
  }

  /**
   * Jars of the kernel's class path javac never reads for cells: the kernel's internals (hidden
   * anyway) and large runtime-only jars whose classes no shared signature names. javac indexes
   * every jar on its class path at the first compile, so leaving these out makes the notebook's
   * first cells (its startup imports) faster. Matched by artifactId.
   */
  static final Set<String> NOT_COMPILED_AGAINST = Set.of(
      "jeromq", "jnacl", "gson", "commonmark", "commonmark-ext-gfm-tables", "picocli",
      "maven-resolver-supplier", "maven-resolver-api", "maven-resolver-util", "maven-resolver-spi",
      "maven-resolver-named-locks", "maven-resolver-impl", "maven-resolver-connector-basic",
      "maven-resolver-transport-file", "maven-resolver-transport-http", "maven-resolver-provider",
      "maven-model", "maven-repository-metadata", "maven-model-builder", "maven-artifact",
      "maven-builder-support", "plexus-utils", "plexus-interpolation", "httpclient", "httpcore",
      "commons-codec", "jcl-over-slf4j", "slf4j-api", "slf4j-nop",
      "icu4j", "univocity-parsers", "classgraph", "pdfbox", "pdfbox-io", "fontbox", "graphics2d",
      "VectorGraphics2D", "animated-gif-lib", "snakeyaml", "jackson-dataformat-yaml",
      // ALTS (grpc-alts and what it brings): tfkit's API names only its own Alts record.
      "grpc-alts", "grpc-auth", "conscrypt-openjdk-uber", "google-auth-library-credentials",
      "google-auth-library-oauth2-http", "google-http-client", "google-http-client-gson",
      "opencensus-api", "opencensus-contrib-http-util", "auto-value-annotations");

  /**
   * {@code classpath} without the kernel's jars of {@link #NOT_COMPILED_AGAINST} (and TF's
   * native-library jars); entries not on {@code kernelClasspath} (the user's) are all kept.
   */
  static String compileClasspath(String classpath, String kernelClasspath) {
    Set<String> kernels = Set.of(kernelClasspath.split(File.pathSeparator));
    StringBuilder out = new StringBuilder();
    for (String e : classpath.split(File.pathSeparator)) {
      if (e.isEmpty()) continue;
      if (e.endsWith(".jar") && kernels.contains(e)) {
        String[] av = artifactAndVersion(Path.of(e));
        String file = Path.of(e).getFileName().toString();
        if (av[0] != null && NOT_COMPILED_AGAINST.contains(av[0])) continue;
        if (file.startsWith("tensorflow-core-native-") && (file.contains("-linux") || file.contains("-macosx") || file.contains("-windows"))) {
          continue;
        }
      }
      if (out.length() > 0) out.append(File.pathSeparator);
      out.append(e);
    }
    return out.toString();
  }

  private final class CompilerView extends ForwardingJavaFileManager<StandardJavaFileManager>
      implements StandardJavaFileManager {
    CompilerView(StandardJavaFileManager std) {
      super(std);
      String cp = System.getProperty("java.class.path", "");
      String trimmed = compileClasspath(cp, cp);
      if (!trimmed.equals(cp)) {
        try {
          List<File> files = new ArrayList<>();
          for (String e : trimmed.split(File.pathSeparator)) if (!e.isEmpty()) files.add(new File(e));
          std.setLocation(StandardLocation.CLASS_PATH, files);
        } catch (IOException e) {
          // keep javac's default class path
        }
      }
    }

    @Override
    public boolean handleOption(String current, Iterator<String> remaining) {
      // JShell sets the whole class path again each time an entry is added.
      if (Set.of("-classpath", "-cp", "--class-path", "--classpath").contains(current) && remaining.hasNext()) {
        String trimmed = compileClasspath(remaining.next(), System.getProperty("java.class.path", ""));
        return fileManager.handleOption(current, List.of(trimmed).iterator());
      }
      return fileManager.handleOption(current, remaining);
    }

    @Override
    public Iterable<JavaFileObject> list(Location location, String packageName, Set<JavaFileObject.Kind> kinds, boolean recurse)
        throws IOException {
      Iterable<JavaFileObject> all = super.list(location, packageName, kinds, recurse);
      if (location != StandardLocation.CLASS_PATH) return all;
      List<JavaFileObject> kept = new ArrayList<>();
      for (JavaFileObject fo : all) {
        String pkg = packageName;
        if (recurse) {
          String bin = fileManager.inferBinaryName(location, fo);
          int dot = bin == null ? -1 : bin.lastIndexOf('.');
          pkg = dot < 0 ? "" : bin.substring(0, dot);
        }
        if (compileVisible(pkg, fo)) kept.add(fo);
      }
      return kept;
    }

    @Override
    public boolean isSameFile(FileObject a, FileObject b) {
      return fileManager.isSameFile(a, b);
    }

    @Override
    public Iterable<? extends JavaFileObject> getJavaFileObjectsFromFiles(Iterable<? extends File> files) {
      return fileManager.getJavaFileObjectsFromFiles(files);
    }

    @Override
    public Iterable<? extends JavaFileObject> getJavaFileObjectsFromPaths(Iterable<? extends Path> paths) {
      return fileManager.getJavaFileObjectsFromPaths(paths);
    }

    @Override
    public Iterable<? extends JavaFileObject> getJavaFileObjects(File... files) {
      return fileManager.getJavaFileObjects(files);
    }

    @Override
    public Iterable<? extends JavaFileObject> getJavaFileObjects(Path... paths) {
      return fileManager.getJavaFileObjects(paths);
    }

    @Override
    public Iterable<? extends JavaFileObject> getJavaFileObjectsFromStrings(Iterable<String> names) {
      return fileManager.getJavaFileObjectsFromStrings(names);
    }

    @Override
    public Iterable<? extends JavaFileObject> getJavaFileObjects(String... names) {
      return fileManager.getJavaFileObjects(names);
    }

    @Override
    public void setLocation(Location location, Iterable<? extends File> files) throws IOException {
      fileManager.setLocation(location, files);
    }

    @Override
    public void setLocationFromPaths(Location location, Collection<? extends Path> paths) throws IOException {
      fileManager.setLocationFromPaths(location, paths);
    }

    @Override
    public void setLocationForModule(Location location, String moduleName, Collection<? extends Path> paths)
        throws IOException {
      fileManager.setLocationForModule(location, moduleName, paths);
    }

    @Override
    public Iterable<? extends File> getLocation(Location location) {
      return fileManager.getLocation(location);
    }

    @Override
    public Iterable<? extends Path> getLocationAsPaths(Location location) {
      return fileManager.getLocationAsPaths(location);
    }

    @Override
    public Path asPath(FileObject file) {
      return fileManager.asPath(file);
    }

    @Override
    public void setPathFactory(PathFactory f) {
      fileManager.setPathFactory(f);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Running: the class loaders

  /** The parent of cells' class loaders: the JDK, and from the kernel only what cells share. */
  final class ApiLoader extends ClassLoader {
    ApiLoader() {
      super("tfkit-cells-api", ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      if (!sharedWithCells(name)) throw new ClassNotFoundException(name);
      Class<?> c = kernelLoader.loadClass(name);
      Library l = libraryOf(name);
      if (l != null) served.add(l);
      return c;
    }

    @Override
    protected URL findResource(String name) {
      return sharedResource(name) ? kernelLoader.getResource(name) : null;
    }

    @Override
    protected Enumeration<URL> findResources(String name) throws IOException {
      return sharedResource(name) ? kernelLoader.getResources(name) : Collections.emptyEnumeration();
    }

    private boolean sharedResource(String name) {
      int slash = name.lastIndexOf('/');
      if (slash < 0) return false;
      return sharedWithCells(name.substring(0, slash).replace('/', '.') + ".");
    }
  }

  /** A cells' class loader: the user's jars and folders, and the snippets JShell compiles. */
  static final class CellLoader extends URLClassLoader {
    static {
      ClassLoader.registerAsParallelCapable();
    }

    private final Map<String, byte[]> snippets = new ConcurrentHashMap<>();

    CellLoader(ClassLoader parent) {
      super("tfkit-cells", new URL[0], parent);
    }

    void declare(String name, byte[] bytes) {
      snippets.put(name, bytes);
    }

    void add(Path entry) throws MalformedURLException {
      addURL(entry.toUri().toURL());
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      byte[] b = snippets.get(name);
      if (b != null) return defineClass(name, b, 0, b.length);
      return super.findClass(name);
    }
  }

  /** JShell's loader delegate over a {@link CellLoader} (what JShell's default one does, with our parent). */
  static final class CellLoaderDelegate implements LoaderDelegate {
    final CellLoader loader;
    private final Map<String, Class<?>> classes = new ConcurrentHashMap<>();

    CellLoaderDelegate(ClassLoader parent) {
      this.loader = new CellLoader(parent);
    }

    @Override
    public void load(ClassBytecodes[] cbcs) throws ClassInstallException {
      boolean[] installed = new boolean[cbcs.length];
      for (ClassBytecodes c : cbcs) loader.declare(c.name(), c.bytecodes());
      int i = 0;
      try {
        for (ClassBytecodes c : cbcs) {
          Class<?> k = loader.loadClass(c.name());
          classes.put(c.name(), k);
          installed[i++] = true;
          k.getDeclaredMethods(); // verify and link now, as JShell's own delegate does
        }
      } catch (Throwable e) {
        throw new ClassInstallException("load: " + e.getMessage(), installed);
      }
    }

    @Override
    public void classesRedefined(ClassBytecodes[] cbcs) {
      for (ClassBytecodes c : cbcs) loader.declare(c.name(), c.bytecodes());
    }

    @Override
    public void addToClasspath(String path) throws InternalException {
      try {
        for (String p : path.split(File.pathSeparator)) {
          if (!p.isBlank()) loader.add(Path.of(p));
        }
      } catch (MalformedURLException | RuntimeException e) {
        throw new InternalException("cannot add " + path + " to the cells' class path: " + e.getMessage());
      }
    }

    @Override
    public Class<?> findClass(String name) throws ClassNotFoundException {
      Class<?> k = classes.get(name);
      if (k == null) throw new ClassNotFoundException(name + " not found");
      return k;
    }
  }
}
