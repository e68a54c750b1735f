package dev.tfkit.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The import directions of docs/architecture.md, checked on the compiled classes of lib and the
 * kernel module: a new import that runs against them fails here, naming the classes.
 */
class ArchitectureTest {
  /** The kernel module's packages: nothing in lib may import them. */
  private static final String[] KERNEL_MODULE = {
    "dev.tfkit.kernel..", "dev.tfkit.notebook..", "dev.tfkit.demo..", "dev.tfkit.cli.notebooks..",
    "io.github.spencerpark.ijava.."
  };

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // In `mvn verify` lib's tests reach this module as its test jar, not test-classes.
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("dev.tfkit", "io.github.spencerpark.ijava");
  }

  @Test
  void importedBothModules() {
    // A rule over no classes passes whatever the code does: make sure both modules are there.
    assertThat(classes.contain("dev.tfkit.server.EmbeddedServer")).isTrue();
    assertThat(classes.contain("dev.tfkit.kernel.TfkitKernel")).isTrue();
    assertThat(classes.size()).isGreaterThan(300);
  }

  @Test
  void packagesHaveNoCycles() {
    // One slice per package, lib's and the kernel module's (IJava's runtime package included).
    slices().matching("(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void notebookPackagesHaveNoCycles() {
    // The runner on top; document, parameters and engines below it, never importing it.
    slices()
        .matching("dev.tfkit.(**)")
        .should()
        .beFreeOfCycles()
        .check(classes.that(resideInAPackage("dev.tfkit.notebook..")));
  }

  @Test
  void libNeverImportsTheKernelModule() {
    noClasses()
        .that(not(resideInAnyPackage(KERNEL_MODULE)))
        .should()
        .dependOnClassesThat(resideInAnyPackage(KERNEL_MODULE))
        .check(classes);
  }

  @Test
  void plumbingDependsOnNothingAbove() {
    only("dev.tfkit.io..", "dev.tfkit.io..");
    only("dev.tfkit.tensor..", "dev.tfkit.tensor..", "dev.tfkit.io..");
    only("dev.tfkit.rest..", "dev.tfkit.rest..", "dev.tfkit.tensor..", "dev.tfkit.io..");
    only("dev.tfkit.config..", "dev.tfkit.config..", "dev.tfkit.io..");
  }

  @Test
  void clientAndServerShareOnlyTheWireFormats() {
    noClasses().that().resideInAPackage("dev.tfkit.serving..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.tfkit.server..", "dev.tfkit.graph..", "dev.tfkit.savedmodel..", "dev.tfkit.docker..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.tfkit.server..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.tfkit.serving..", "dev.tfkit.docker..", "dev.tfkit.cli..", "dev.tfkit.zoo..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.tfkit.docker..")
        .should().dependOnClassesThat().resideInAPackage("dev.tfkit.server..")
        .check(classes);
  }

  @Test
  void servingLifecycleKnowsNothingOfTensorFlow() {
    // Like TF Serving's core/: versions, policies and states, whatever a servable is.
    noClasses().that().resideInAPackage("dev.tfkit.server.lifecycle..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "org.tensorflow..", "tensorflow..", "dev.tfkit.server.tensorflow..", "dev.tfkit.server.api..",
            "dev.tfkit.tensor..", "dev.tfkit.savedmodel..", "dev.tfkit.graph..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.tfkit.server.util..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.tfkit.server", "dev.tfkit.server.api..", "dev.tfkit.server.lifecycle..",
            "dev.tfkit.server.tensorflow..", "dev.tfkit.server.logging..", "org.tensorflow..")
        .check(classes);
  }

  @Test
  void modelsAndExportsStayBelowServingAndUi() {
    for (String lower : List.of("dev.tfkit.graph..", "dev.tfkit.savedmodel..", "dev.tfkit.search..", "dev.tfkit.vision..")) {
      noClasses().that().resideInAPackage(lower)
          .should().dependOnClassesThat().resideInAnyPackage(
              "dev.tfkit.server..", "dev.tfkit.serving..", "dev.tfkit.docker..", "dev.tfkit.cli..", "dev.tfkit.zoo..")
          .check(classes);
    }
    noClasses().that().resideInAPackage("dev.tfkit.savedmodel..")
        .should().dependOnClassesThat().resideInAPackage("dev.tfkit.graph..")
        .check(classes);
  }

  @Test
  void noTwoMainClassesShareASimpleName() {
    Map<String, List<String>> byName = new HashMap<>();
    for (JavaClass c : classes) {
      if (c.isNestedClass() || c.isAnonymousClass() || c.getSimpleName().equals("package-info")) continue;
      byName.computeIfAbsent(c.getSimpleName(), k -> new ArrayList<>()).add(c.getName());
    }
    Map<String, List<String>> twins =
        byName.entrySet().stream()
            .filter(e -> e.getValue().size() > 1)
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertThat(twins).as("classes sharing a simple name").isEmpty();
  }

  @Test
  void docsArchitectureNamesEveryPackage() throws Exception {
    Path doc = Path.of("..", "docs", "architecture.md");
    String text = Files.readString(doc);
    for (String pkg : classes.stream().map(JavaClass::getPackageName).distinct().sorted().toList()) {
      String shortName = pkg.startsWith("dev.tfkit.") ? pkg.substring("dev.tfkit.".length()) : pkg;
      if (pkg.equals("dev.tfkit")) continue;
      assertThat(text).as("docs/architecture.md names package " + pkg).contains("`" + shortName + "`");
    }
  }

  /** Classes in {@code pkg} depend on dev.tfkit classes only in {@code allowed}. */
  private static void only(String pkg, String... allowed) {
    noClasses().that().resideInAPackage(pkg)
        .should().dependOnClassesThat(
            resideInAPackage("dev.tfkit..").and(not(resideInAnyPackage(allowed))))
        .check(classes);
  }
}
