package dev.tfkit.kernel.magic;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.apache.maven.repository.internal.MavenRepositorySystemUtils;
import org.eclipse.aether.AbstractRepositoryListener;
import org.eclipse.aether.DefaultRepositorySystemSession;
import org.eclipse.aether.RepositoryEvent;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.graph.Exclusion;
import org.eclipse.aether.repository.LocalRepository;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Resolves {@code group:artifact:version} with its runtime dependencies into jar files for {@code
 * %maven}, with Maven Resolver: the local repository first (what is there is used as is), then
 * Maven Central and any repositories added with {@code %mavenRepo}.
 */
public final class MavenResolver {
  private final Path localRepository;
  private final Map<String, String> remotes = new LinkedHashMap<>();
  private RepositorySystem system;

  /** {@code localRepository} null means Maven's own ({@code maven.repo.local}, settings.xml, ~/.m2). */
  public MavenResolver(Path localRepository) {
    this.localRepository = localRepository != null ? localRepository : defaultLocalRepository();
    String central = centralUrl();
    if (central != null) remotes.put("central", central);
  }

  public Path localRepository() {
    return localRepository;
  }

  /** Adds (or replaces) a remote repository. */
  public void addRepository(String id, String url) {
    if (id == null || id.isBlank() || url == null || url.isBlank()) {
      throw new IllegalArgumentException("usage: %mavenRepo ID URL");
    }
    remotes.put(id, url);
  }

  public Map<String, String> repositories() {
    return Map.copyOf(remotes);
  }

  /** The jars of {@code coordinates} (g:a[:ext[:classifier]]:v) and its runtime dependencies. */
  public List<Path> resolve(String coordinates) {
    DefaultArtifact artifact;
    try {
      artifact = new DefaultArtifact(coordinates);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "'" + coordinates + "' is not a Maven coordinate; expected group:artifact:version", e);
    }
    RepositorySystem sys = system();
    List<String> problems = new ArrayList<>();
    DefaultRepositorySystemSession session = newSession(sys, problems);
    List<RemoteRepository> repos = new ArrayList<>();
    remotes.forEach((id, url) -> repos.add(new RemoteRepository.Builder(id, "default", url).build()));
    CollectRequest collect = new CollectRequest(new Dependency(artifact, JavaScopes.RUNTIME), repos);
    DependencyRequest request =
        new DependencyRequest(collect, DependencyFilterUtils.classpathFilter(JavaScopes.RUNTIME));
    try {
      List<Path> jars = new ArrayList<>();
      for (ArtifactResult r : sys.resolveDependencies(session, request).getArtifactResults()) {
        if (r.getArtifact() != null && r.getArtifact().getFile() != null) {
          jars.add(r.getArtifact().getFile().toPath());
        }
      }
      warn(problems);
      return jars;
    } catch (DependencyResolutionException e) {
      throw new IllegalArgumentException(
          "cannot resolve " + coordinates + " (local repository " + localRepository + ", remotes "
              + remotes.keySet() + "): " + e.getMessage(), e);
    }
  }

  /**
   * The jars of a POM's dependencies whose scope is one of {@code scopes}, with their transitive
   * dependencies in those scopes ({@code %%loadFromPOM}). Like IJava, the repositories are the POM's
   * own and Maven Central, not those added with {@code %mavenRepo}; {@code system} dependencies are
   * their {@code systemPath}.
   */
  public List<Path> resolve(PomFragment pom, Collection<String> scopes) {
    List<Path> jars = new ArrayList<>();
    List<Dependency> roots = new ArrayList<>();
    for (PomFragment.Dependency d : pom.dependencies()) {
      if (!scopes.contains(d.scope())) continue;
      if ("system".equals(d.scope())) {
        if (d.systemPath() == null) {
          throw new IllegalArgumentException(d.coordinates() + " has scope system but no <systemPath>");
        }
        jars.add(d.systemPath());
        continue;
      }
      DefaultArtifact artifact;
      try {
        artifact = new DefaultArtifact(d.coordinates());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + d.coordinates() + "' is not a Maven coordinate", e);
      }
      List<Exclusion> exclusions = new ArrayList<>();
      for (String ex : d.exclusions()) {
        String[] ga = ex.split(":", 2);
        exclusions.add(new Exclusion(ga[0], ga.length > 1 ? ga[1] : "*", "*", "*"));
      }
      roots.add(new Dependency(artifact, d.scope(), false, exclusions));
    }
    if (roots.isEmpty()) return jars;
    Map<String, String> repoUrls = new LinkedHashMap<>(pom.repositories());
    String central = centralUrl();
    if (central != null) repoUrls.putIfAbsent("central", central);
    RepositorySystem sys = system();
    List<String> problems = new ArrayList<>();
    DefaultRepositorySystemSession session = newSession(sys, problems);
    List<RemoteRepository> repos = new ArrayList<>();
    repoUrls.forEach((id, url) -> repos.add(new RemoteRepository.Builder(id, "default", url).build()));
    CollectRequest collect = new CollectRequest(roots, List.of(), repos);
    DependencyRequest request = new DependencyRequest(
        collect, DependencyFilterUtils.classpathFilter(scopes.toArray(String[]::new)));
    try {
      for (ArtifactResult r : sys.resolveDependencies(session, request).getArtifactResults()) {
        if (r.getArtifact() != null && r.getArtifact().getFile() != null) jars.add(r.getArtifact().getFile().toPath());
      }
      warn(problems);
      return jars;
    } catch (DependencyResolutionException e) {
      throw new IllegalArgumentException("cannot resolve the POM's dependencies (local repository "
          + localRepository + ", remotes " + repoUrls.keySet() + "): " + e.getMessage(), e);
    }
  }

  private volatile Consumer<String> warnings = w -> {};

  /** Where resolution problems that do not stop it go (a POM that could not be read, say). */
  public void setWarnings(Consumer<String> warnings) {
    this.warnings = warnings == null ? w -> {} : warnings;
  }

  private void warn(List<String> problems) {
    for (String p : new LinkedHashSet<>(problems)) warnings.accept(p);
  }

  /**
   * A session like Maven's own: the local repository in the "simple" layout (any jar already there
   * is used, wherever it came from), and the JVM's system properties, without which POMs whose
   * profiles are activated by the JDK cannot be built (and their dependencies were dropped). A POM
   * that cannot be read still leaves its artifact resolved, as in Maven, but is reported.
   */
  private DefaultRepositorySystemSession newSession(RepositorySystem sys, List<String> problems) {
    DefaultRepositorySystemSession session = MavenRepositorySystemUtils.newSession();
    session.setLocalRepositoryManager(
        sys.newLocalRepositoryManager(session, new LocalRepository(localRepository.toFile(), "simple")));
    session.setSystemProperties(System.getProperties());
    session.setRepositoryListener(new AbstractRepositoryListener() {
      @Override
      public void artifactDescriptorInvalid(RepositoryEvent event) {
        problems.add("warning: the POM of " + event.getArtifact() + " is invalid, so its dependencies are left out: "
            + firstLine(event.getException()));
      }

      @Override
      public void artifactDescriptorMissing(RepositoryEvent event) {
        problems.add("warning: no POM for " + event.getArtifact() + ", so its dependencies (if any) are left out");
      }
    });
    return session;
  }

  private static String firstLine(Exception e) {
    if (e == null) return "unknown problem";
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private synchronized RepositorySystem system() {
    if (system == null) system = new RepositorySystemSupplier().get();
    return system;
  }

  static Path defaultLocalRepository() {
    String prop = System.getProperty("maven.repo.local");
    if (prop != null && !prop.isBlank()) return Path.of(prop);
    Path home = Path.of(System.getProperty("user.home"));
    Path settings = home.resolve(".m2/settings.xml");
    if (Files.isRegularFile(settings)) {
      try {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(settings.toFile());
        NodeList nodes = doc.getElementsByTagName("localRepository");
        if (nodes.getLength() > 0) {
          String v = nodes.item(0).getTextContent().strip().replace("${user.home}", home.toString());
          if (!v.isEmpty()) return Path.of(v);
        }
      } catch (Exception ignored) {
        // An unreadable settings file leaves Maven's default.
      }
    }
    return home.resolve(".m2").resolve("repository");
  }

  /** Maven Central's address, read from Maven's super POM (which ships with the resolver). */
  static String centralUrl() {
    try (InputStream in = MavenRepositorySystemUtils.class.getClassLoader()
        .getResourceAsStream("org/apache/maven/model/pom-4.0.0.xml")) {
      if (in == null) return null;
      Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
      NodeList repos = doc.getElementsByTagName("repository");
      for (int i = 0; i < repos.getLength(); i++) {
        Element r = (Element) repos.item(i);
        NodeList ids = r.getElementsByTagName("id");
        NodeList urls = r.getElementsByTagName("url");
        if (ids.getLength() > 0 && urls.getLength() > 0 && ids.item(0).getTextContent().strip().equals("central")) {
          return urls.item(0).getTextContent().strip();
        }
      }
      return null;
    } catch (IOException | RuntimeException | ParserConfigurationException | SAXException e) {
      return null;
    }
  }
}
