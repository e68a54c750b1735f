package dev.tfkit.rest;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tfkit.tensor.NativeLimits;
import dev.tfkit.tensor.TensorValue;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * Fuzzes the REST predict body reader the server uses (streamed fast path, then the JSON tree)
 * against a signature with a float, an int64 and a string input, through TensorFlow's limits and
 * the decoder. Only {@link IllegalArgumentException}s (which the gateway answers as 400) may come
 * out; a stack overflow, an index error or a native abort is a finding.
 */
class RestBodyFuzzTest {
  private static final Map<String, DataType> SIGNATURE = new LinkedHashMap<>();

  static {
    SIGNATURE.put("x", DataType.DT_FLOAT);
    SIGNATURE.put("n", DataType.DT_INT64);
    SIGNATURE.put("s", DataType.DT_STRING);
  }

  @FuzzTest(maxDuration = "30s")
  @DictionaryEntries({"{", "}", "[", "]", ":", ",", "\"instances\"", "\"inputs\"", "\"signature_name\"",
      "\"b64\"", "\"x\"", "\"n\"", "\"s\"", "NaN", "-Infinity", "1e308", "null", "true", "\"\\u0000\""})
  void readsOrRefusesCleanly(byte[] body) {
    PredictJsonRequest r;
    try {
      r = PredictBodies.readPredictRequest(body, sig -> {
        if (!sig.isEmpty() && !sig.equals("serving_default")) throw new IllegalArgumentException("no signature " + sig);
        return SIGNATURE;
      });
    } catch (IllegalArgumentException e) {
      return;
    }
    for (Map.Entry<String, TensorProto> e : r.inputs().entrySet()) {
      try {
        NativeLimits.checkTensor(e.getValue(), e.getKey());
        TensorValue.fromProto(e.getValue());
      } catch (IllegalArgumentException refused) {
        // a clean 400
      }
    }
  }
}
