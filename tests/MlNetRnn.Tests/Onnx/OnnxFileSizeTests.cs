using System.Text;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Onnx;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

[TestClass]
public sealed class OnnxFileSizeTests
{
    [TestMethod]
    public void TaggerFile_IsItsFloat32WeightsPlusVocabularyAndLittleElse()
    {
        // A tagger of realistic shape: 2,000 words × 32, a character CNN, a BiLSTM(32), 17 tags.
        using var scope = NewDisposeScope();
        var knownWords = Enumerable.Range(0, 1998).Select(i => $"word{i}").ToArray();
        var tags = Enumerable.Range(0, 17).Select(i => $"TAG{i}").ToArray();
        var words = new Input([-1], "words");
        var chars = new Input([-1, 12], "chars");
        var charWords = new TimeDistributed(new GlobalMaxPooling1D()).Apply(new TimeDistributed(new Conv1D(24, 3, padding: "same", activation: "relu"))
            .Apply(new TimeDistributed(new Embedding(60, 16, maskZero: true)).Apply(chars)[0])[0])[0];
        var joined = new Concatenate().Apply(new Embedding(2000, 32, maskZero: true).Apply(words)[0], charWords)[0];
        var output = new TimeDistributed(new Dense(17, activation: "softmax")).Apply(
            new Bidirectional(new LSTM(32, returnSequences: true)).Apply(joined)[0]);
        using var network = new Model([words, chars], output, seed: 1);
        using var stream = new MemoryStream();
        OnnxExporter.ExportTagger(stream, network, knownWords, lowercase: true, tags,
            charIds: Enumerable.Range(0, 58).ToDictionary(i => 'a' + i, i => i + 2), maxChars: 12);

        long weightBytes = network.CountParams() * sizeof(float);
        // Each vocabulary string costs its UTF-8 bytes plus a tag and a length (2 bytes each here); each id a varint.
        long vocabularyBytes = knownWords.Sum(w => Encoding.UTF8.GetByteCount(w) + 2 + 3);
        Console.WriteLine($"onnx-file-size tagger: {stream.Length:N0} bytes; float32 weights {weightBytes:N0} bytes " +
            $"({network.CountParams():N0} parameters); word vocabulary {vocabularyBytes:N0} bytes; rest {stream.Length - weightBytes - vocabularyBytes:N0} bytes");
        Assert.IsTrue(stream.Length > weightBytes + vocabularyBytes / 2, $"The file ({stream.Length} bytes) must hold the weights and the vocabulary.");
        Assert.IsTrue(stream.Length < weightBytes + vocabularyBytes + 64 * 1024,
            $"The file ({stream.Length} bytes) should be the weights ({weightBytes}) and vocabulary ({vocabularyBytes}) plus under 64 KiB of graph.");
    }
}
