package dev.tfkit.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The versions tfkit was built with (tfkit, tensorflow-java, protobuf-java, grpc-java ...), read
 * from {@code dev/tfkit/versions.properties}, which the build fills in. Used by {@code tfkit
 * version}, the kernel's banner, headless runs' metadata and the JShell facade.
 */
public final class BuildVersions {
  private static final String RESOURCE = "/dev/tfkit/versions.properties";

  private BuildVersions() {}

  /** Every recorded version, by name. */
  public static Map<String, String> all() {
    Properties p = new Properties();
    try (InputStream in = BuildVersions.class.getResourceAsStream(RESOURCE)) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE.substring(1), e);
    }
    Map<String, String> out = new TreeMap<>();
    for (String k : p.stringPropertyNames()) out.put(k, p.getProperty(k));
    return out;
  }

  /** tfkit's own version, or {@code unknown} when the build did not record it. */
  public static String tfkit() {
    return all().getOrDefault("tfkit", "unknown");
  }
}
