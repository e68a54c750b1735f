package dev.tfkit.kernel.magic;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * The dependencies and repositories of a POM or POM fragment, for IJava's {@code %%loadFromPOM}: a
 * whole {@code <project>}, or loose {@code <dependency>}/{@code <repository>} elements and {@code
 * <dependencies>}/{@code <repositories>} lists, as copied from a README. {@code ${name}} is
 * replaced from the POM's {@code <properties>} (and {@code project.version} and the like).
 */
public record PomFragment(List<Dependency> dependencies, Map<String, String> repositories) {
  /** One {@code <dependency>}; {@code scope} defaults to compile, {@code type} to jar. */
  public record Dependency(
      String groupId, String artifactId, String version, String type, String classifier, String scope,
      Path systemPath, List<String> exclusions) {
    /** {@code group:artifact[:type[:classifier]]:version}, Maven Resolver's form. */
    public String coordinates() {
      String ext = type == null || type.isEmpty() ? "jar" : type;
      return groupId + ":" + artifactId + ":" + ext + (classifier == null || classifier.isEmpty() ? "" : ":" + classifier)
          + ":" + version;
    }
  }

  private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

  public PomFragment {
    dependencies = List.copyOf(dependencies);
    repositories = Map.copyOf(repositories);
  }

  /**
   * Parses {@code body}.
   *
   * @throws IllegalArgumentException when it is not XML, or a dependency lacks groupId, artifactId
   *     or version (naming it)
   */
  public static PomFragment parse(String body) {
    String xml = body.strip().replaceFirst("^<\\?xml[^>]*\\?>", "").strip();
    if (xml.isEmpty()) {
      throw new IllegalArgumentException("%%loadFromPOM needs a POM or <dependency> elements in the cell");
    }
    Element root = parseXml(xml);
    boolean project = root != null && "project".equals(root.getTagName());
    if (!project) {
      // Loose fragments (one element or several): wrap them into one document.
      root = parseXml("<fragment>" + xml + "</fragment>");
      if (root == null) {
        throw new IllegalArgumentException("%%loadFromPOM: the cell is not a POM or POM elements (not well-formed XML)");
      }
    }
    Map<String, String> props = new LinkedHashMap<>();
    if (project) {
      for (String k : List.of("groupId", "artifactId", "version")) {
        String v = childText(root, k);
        if (v == null) v = childText(child(root, "parent"), k);
        if (v != null) props.put("project." + k, v);
      }
      Element properties = child(root, "properties");
      if (properties != null) {
        for (Element p : children(properties)) props.put(p.getTagName(), p.getTextContent().strip());
      }
    }
    List<Dependency> deps = new ArrayList<>();
    Map<String, String> repos = new LinkedHashMap<>();
    collect(root, project, props, deps, repos);
    if (deps.isEmpty()) {
      throw new IllegalArgumentException("%%loadFromPOM: no <dependency> in the cell");
    }
    return new PomFragment(deps, repos);
  }

  private static final ErrorHandler SILENT = new ErrorHandler() {
    @Override
    public void warning(SAXParseException e) {}

    @Override
    public void error(SAXParseException e) throws SAXException {
      throw e;
    }

    @Override
    public void fatalError(SAXParseException e) throws SAXException {
      throw e;
    }
  };

  private static Element parseXml(String xml) {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setExpandEntityReferences(false);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      DocumentBuilder db = f.newDocumentBuilder();
      // The default handler prints "[Fatal Error] :2:2: ..." on stderr for text that is not one
      // document, which is how several loose elements are first tried; errors are thrown instead.
      db.setErrorHandler(SILENT);
      Document doc = db.parse(new InputSource(new StringReader(xml)));
      return doc.getDocumentElement();
    } catch (Exception e) {
      return null;
    }
  }

  private static void collect(Element root, boolean project, Map<String, String> props,
      List<Dependency> deps, Map<String, String> repos) {
    // A project's own lists only (not dependencyManagement or plugins); a fragment's anywhere on top.
    for (Element e : children(root)) {
      switch (e.getTagName()) {
        case "dependency" -> deps.add(dependency(e, props));
        case "dependencies" -> children(e, "dependency").forEach(d -> deps.add(dependency(d, props)));
        case "repository" -> repository(e, props, repos);
        case "repositories" -> children(e, "repository").forEach(r -> repository(r, props, repos));
        default -> { }
      }
    }
  }

  private static Dependency dependency(Element d, Map<String, String> props) {
    String g = text(d, "groupId", props);
    String a = text(d, "artifactId", props);
    String v = text(d, "version", props);
    if (g == null || a == null || v == null) {
      throw new IllegalArgumentException("%%loadFromPOM: a <dependency> needs groupId, artifactId and version: "
          + (g == null ? "?" : g) + ":" + (a == null ? "?" : a) + ":" + (v == null ? "?" : v));
    }
    List<String> exclusions = new ArrayList<>();
    Element ex = child(d, "exclusions");
    if (ex != null) {
      for (Element e : children(ex, "exclusion")) {
        exclusions.add(text(e, "groupId", props) + ":" + text(e, "artifactId", props));
      }
    }
    String sp = text(d, "systemPath", props);
    String scope = text(d, "scope", props);
    return new Dependency(g, a, v, text(d, "type", props), text(d, "classifier", props),
        scope == null ? "compile" : scope, sp == null ? null : Path.of(sp), exclusions);
  }

  private static void repository(Element r, Map<String, String> props, Map<String, String> repos) {
    String url = text(r, "url", props);
    if (url == null) throw new IllegalArgumentException("%%loadFromPOM: a <repository> needs a <url>");
    String id = text(r, "id", props);
    repos.put(id == null ? "repo" + (repos.size() + 1) : id, url);
  }

  private static String text(Element parent, String name, Map<String, String> props) {
    String t = childText(parent, name);
    if (t == null) return null;
    Matcher m = PROPERTY.matcher(t);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = props.get(m.group(1));
      if (v == null) throw new IllegalArgumentException("%%loadFromPOM: property ${" + m.group(1) + "} is not defined");
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String childText(Element parent, String name) {
    Element c = child(parent, name);
    if (c == null) return null;
    String t = c.getTextContent().strip();
    return t.isEmpty() ? null : t;
  }

  private static Element child(Element parent, String name) {
    if (parent == null) return null;
    for (Element e : children(parent)) if (e.getTagName().equals(name)) return e;
    return null;
  }

  private static List<Element> children(Element parent) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) out.add(e);
    }
    return out;
  }

  private static List<Element> children(Element parent, String name) {
    return children(parent).stream().filter(e -> e.getTagName().equals(name)).toList();
  }
}
