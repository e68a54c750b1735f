package dev.tfkit.server.tensorflow;

import com.google.protobuf.ByteString;
import dev.tfkit.server.util.RequestException;
import dev.tfkit.tensor.DataTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Classification.Class;
import tensorflow.serving.Classification.ClassificationResult;
import tensorflow.serving.Classification.Classifications;
import tensorflow.serving.InputOuterClass.Input;
import tensorflow.serving.RegressionOuterClass.Regression;
import tensorflow.serving.RegressionOuterClass.RegressionResult;

/**
 * TF Serving's Classify and Regress on a SavedModel servable: the signature checked (method name,
 * one DT_STRING input of serialized tf.Examples, the outputs TF Serving requires), the examples
 * (with their context) fed as one batch, and the outputs checked and turned into results, with TF
 * Serving's error messages (its classifier.cc and regressor.cc).
 */
final class ExampleRunner {
  private ExampleRunner() {}

  /** Runs a classify signature on tf.Example inputs, as TF Serving's Classify does. */
  static ClassificationResult classify(SavedModelServable servable, String signatureName, Input input) {
    SignatureDef sig = servable.signature(signatureName);
    checkMethod(servable, sig, "classification", SavedModelServable.CLASSIFY_METHOD);
    TensorInfo in = exampleInput(sig);
    TensorInfo classesInfo = sig.getOutputsMap().get("classes");
    TensorInfo scoresInfo = sig.getOutputsMap().get("scores");
    if (classesInfo == null && scoresInfo == null) {
      throw RequestException.invalidArgument(
          "Expected classification signature outputs to contain at least one of {classes, scores}");
    }
    List<ByteString> examples = serializedExamples(input);
    int n = examples.size();
    List<String> aliases = new ArrayList<>();
    if (classesInfo != null) {
      aliases.add("classes");
    }
    if (scoresInfo != null) {
      aliases.add("scores");
    }
    Map<String, TensorProto> out = servable.runExamples(sig, in, examples, aliases);
    TensorProto classes = out.get("classes");
    TensorProto scores = out.get("scores");
    long k = -1;
    if (classes != null) {
      if (classes.getDtype() != DataType.DT_STRING) {
        throw RequestException.invalidArgument(
            "Expected classes Tensor of DT_STRING. Got: " + classes.getDtype());
      }
      k = checkBatchMatrix("classes", classes, n);
    }
    if (scores != null) {
      if (scores.getDtype() != DataType.DT_FLOAT) {
        throw RequestException.invalidArgument(
            "Expected scores Tensor of DT_FLOAT. Got: " + scores.getDtype());
      }
      long ks = checkBatchMatrix("scores", scores, n);
      if (k >= 0 && ks != k) {
        throw RequestException.invalidArgument(
            "Tensors class and score should match in dim[1]. Got " + k + " vs. " + ks);
      }
      k = ks;
    }
    ClassificationResult.Builder result = ClassificationResult.newBuilder();
    for (int i = 0; i < n; i++) {
      Classifications.Builder c = Classifications.newBuilder();
      for (int j = 0; j < k; j++) {
        Class.Builder cls = Class.newBuilder();
        int idx = (int) (i * k + j);
        if (classes != null) {
          cls.setLabel(classes.getStringVal(idx).toStringUtf8());
        }
        if (scores != null) {
          cls.setScore(scores.getFloatVal(idx));
        }
        c.addClasses(cls);
      }
      result.addClassifications(c);
    }
    return result.build();
  }

  /** Runs a regress signature on tf.Example inputs, as TF Serving's Regress does. */
  static RegressionResult regress(SavedModelServable servable, String signatureName, Input input) {
    SignatureDef sig = servable.signature(signatureName);
    checkMethod(servable, sig, "regression", SavedModelServable.REGRESS_METHOD);
    TensorInfo in = exampleInput(sig);
    if (!sig.getOutputsMap().containsKey("outputs")) {
      throw RequestException.invalidArgument(
          "Expected regression signature to have an output named 'outputs'; it has {"
              + String.join(",", new TreeSet<>(sig.getOutputsMap().keySet()))
              + "}");
    }
    List<ByteString> examples = serializedExamples(input);
    int n = examples.size();
    TensorProto out = servable.runExamples(sig, in, examples, List.of("outputs")).get("outputs");
    if (out.getDtype() != DataType.DT_FLOAT) {
      throw RequestException.invalidArgument(
          "Expected output Tensor of DT_FLOAT. Got: " + out.getDtype());
    }
    var shape = out.getTensorShape();
    boolean ok =
        (shape.getDimCount() == 1 && shape.getDim(0).getSize() == n)
            || (shape.getDimCount() == 2
                && shape.getDim(0).getSize() == n
                && shape.getDim(1).getSize() == 1);
    if (!ok) {
      throw RequestException.invalidArgument(
          "Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got "
              + InputValidator.shapeString(shape));
    }
    RegressionResult.Builder result = RegressionResult.newBuilder();
    for (int i = 0; i < n; i++) {
      result.addRegressions(Regression.newBuilder().setValue(out.getFloatVal(i)));
    }
    return result.build();
  }

  private static void checkMethod(SavedModelServable servable, SignatureDef sig, String kind, String method) {
    if (servable.methodNameCheck() && !sig.getMethodName().equals(method)) {
      throw RequestException.invalidArgument(
          "Expected " + kind + " signature method_name to be " + method + ". Was: "
              + RequestException.echo(sig.getMethodName()));
    }
  }

  private static TensorInfo exampleInput(SignatureDef sig) {
    if (sig.getInputsCount() != 1) {
      throw RequestException.invalidArgument(
          "Expected one input Tensor, got " + sig.getInputsCount());
    }
    TensorInfo in = sig.getInputsMap().values().iterator().next();
    if (DataTypes.base(in.getDtype()) != DataType.DT_STRING) {
      throw RequestException.invalidArgument(
          "Expected the signature's input to be a DT_STRING tensor of serialized tf.Examples,"
              + " got " + in.getDtype());
    }
    return in;
  }



  private static long checkBatchMatrix(String what, TensorProto t, int n) {
    var shape = t.getTensorShape();
    if (shape.getDimCount() != 2 || shape.getDim(0).getSize() != n) {
      throw RequestException.invalidArgument(
          "Expected Tensor shape: [batch_size num_classes] but got "
              + InputValidator.shapeString(shape)
              + " for "
              + what);
    }
    return shape.getDim(1).getSize();
  }

  /**
   * The examples of an {@code Input}, serialized; with a context, each is the context followed by
   * the example, which parses as the example merged over the context (as TF Serving feeds them).
   */
  static List<ByteString> serializedExamples(Input input) {
    List<ByteString> out = new ArrayList<>();
    switch (input.getKindCase()) {
      case EXAMPLE_LIST -> input.getExampleList().getExamplesList().forEach(e -> out.add(e.toByteString()));
      case EXAMPLE_LIST_WITH_CONTEXT -> {
        ByteString ctx = input.getExampleListWithContext().getContext().toByteString();
        input
            .getExampleListWithContext()
            .getExamplesList()
            .forEach(e -> out.add(ctx.concat(e.toByteString())));
      }
      default -> {}
    }
    if (out.isEmpty()) {
      throw RequestException.invalidArgument("Input is empty.");
    }
    return out;
  }
}
