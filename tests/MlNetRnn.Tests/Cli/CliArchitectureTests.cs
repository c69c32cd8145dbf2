using System.Text.Json;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.Evaluation;
using MlNetRnn.MlNet;
using MlNetRnn.Models;
using MlNetRnn.Tests.Data;
using MlNetRnn.Tests.MlNet;

namespace MlNetRnn.Tests.Cli;

/// <summary>Taggers of other architectures through the command line: a model saved in one process predicts the same
/// in another, and each architecture flag of <c>train</c> reaches the model (or is refused naming the flag).</summary>
[TestClass]
public sealed class CliArchitectureTests
{
    private static string _dir = "";
    private static string _sample = "";

    [ClassInitialize]
    public static void Init(TestContext context)
    {
        _dir = Directory.CreateTempSubdirectory("mlnetrnn-cli-architecture-").FullName;
        _sample = DataPaths.RepoDataset("sample.conllu");
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static string PathOf(string name) => Path.Combine(_dir, name);

    [TestMethod]
    public void GruCharBiLstmLowercase_SavedInProcess_PredictsTheSameInAnotherProcess()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromConllU(_sample);
        var options = new SequenceTaggerOptions
        {
            Cell = TaggerCell.Gru, Layers = 2, CharFeatures = CharFeatureKind.BiLstm, Lowercase = true,
            EmbeddingSize = 6, Units = 5, CharEmbeddingSize = 4, CharUnits = 3, Epochs = 2, Seed = 3,
        };
        var tagger = ml.SequenceTagging().Trainers.Recurrent(options).Fit(train);
        var path = PathOf("gru.zip");
        SequenceTaggerModelFile.Save(ml, tagger, train.Schema, path);

        string[][] sentences = [["John", "reads", "a", "book", "."], ["JOHN", "Zorblax", "frobnicates"], ["the", "Old", "letter"]];
        var input = PathOf("sentences.txt");
        File.WriteAllLines(input, sentences.Select(s => string.Join(' ', s)));
        var result = CliProcess.Run(null, "predict", "--model", path, "--input", input, "--format", "conllu");
        Assert.AreEqual(0, result.ExitCode, result.ToString());

        using var engine = ml.Model.CreatePredictionEngine<Sentence, MlNet.TaggedSentence>(tagger);
        var expected = sentences.Select(s => string.Join(' ', s.Zip(engine.Predict(new Sentence { Tokens = s }).PredictedTags!, (t, g) => $"{t}/{g}")));
        var read = new CoNllUReader().Read(new StringReader(result.StdOut), "stdout")
            .Select(s => string.Join(' ', s.Tokens.Zip(s.Tags, (t, g) => $"{t}/{g}")));
        CollectionAssert.AreEqual(expected.ToArray(), read.ToArray(), result.ToString());

        var loaded = ml.SequenceTagging().GetModelParameters(SequenceTaggerModelFile.Load(new MLContext(), path, out _));
        Assert.AreEqual((TaggerCell.Gru, 2, CharFeatureKind.BiLstm, true),
            (loaded.HyperParameters.Cell, loaded.HyperParameters.Layers, loaded.HyperParameters.CharFeatures, loaded.HyperParameters.Lowercase));
        Assert.AreEqual(tagger.Model.ParameterCount, loaded.ParameterCount);
    }

    [TestMethod]
    public void ArchitectureFlags_ReachTheModel_AndEvaluateCountsKnownWordsAsTheNetworkSeesThem()
    {
        var vectors = PathOf("vectors.vec");
        File.WriteAllLines(vectors, ["zorblax 0.5 -0.5 0.25 1", "book 1 2 3 4"]);
        var model = PathOf("flags.zip");
        var result = CliProcess.Run(null, "train", "--train", _sample, "--model", model, "--epochs", "1", "--seed", "1",
            "--cell", "gru", "--unidirectional", "--char-features", "none", "--layers", "2", "--dropout", "0.1",
            "--units", "4", "--embedding", "4", "--embeddings", vectors, "--word-dropout", "0.5", "--ema", "0.9");
        Assert.AreEqual(0, result.ExitCode, result.ToString());

        var ml = new MLContext();
        var loaded = SequenceTaggerModelFile.Load(ml, model, out _);
        var parameters = ml.SequenceTagging().GetModelParameters(loaded);
        var hp = parameters.HyperParameters;
        Assert.AreEqual((TaggerCell.Gru, false, CharFeatureKind.None, 2, 0.1, true, 4, 4, vectors),
            (hp.Cell, hp.Bidirectional, hp.CharFeatures, hp.Layers, hp.Dropout, hp.Lowercase, hp.Units, hp.EmbeddingSize, hp.EmbeddingsFile));
        Assert.AreEqual((0.5, 0.9), (hp.WordDropout, hp.EmaMomentum));
        CollectionAssert.Contains(parameters.Vocabulary.ToArray(), "zorblax", "the vectors' words join the vocabulary");
        Assert.IsFalse(parameters.Vocabulary.Contains("John"), "the vocabulary is lower-cased");

        var cased = PathOf("cased.zip");
        var casedRun = CliProcess.Run(null, "train", "--train", _sample, "--model", cased, "--epochs", "1", "--seed", "1",
            "--char-features", "none", "--units", "4", "--embedding", "4", "--no-lowercase");
        Assert.AreEqual(0, casedRun.ExitCode, casedRun.ToString());
        var casedParameters = ml.SequenceTagging().GetModelParameters(SequenceTaggerModelFile.Load(ml, cased, out _));
        Assert.IsFalse(casedParameters.HyperParameters.Lowercase);
        CollectionAssert.Contains(casedParameters.Vocabulary.ToArray(), "John", "--no-lowercase keeps words as written");

        // "John" is known as "john"; "Zorblax" as "zorblax" (from the vectors); "Frobs" is unknown.
        var data = PathOf("eval.conllu");
        File.WriteAllText(data, "1\tJohn\t_\tPROPN\tNNP\t_\t_\t_\t_\t_\n2\tZorblax\t_\tPROPN\tNNP\t_\t_\t_\t_\t_\n3\tFrobs\t_\tVERB\tVBZ\t_\t_\t_\t_\t_\n\n");
        var evaluation = CliProcess.Run(null, "evaluate", "--model", model, "--data", data, "--json");
        Assert.AreEqual(0, evaluation.ExitCode, evaluation.ToString());
        using var json = JsonDocument.Parse(evaluation.StdOut);
        Assert.AreEqual(2, json.RootElement.GetProperty("known_tokens").GetInt64(), evaluation.StdOut);
        Assert.AreEqual(1, json.RootElement.GetProperty("unknown_tokens").GetInt64(), evaluation.StdOut);
        var isKnown = SequenceTaggerModelFile.GetKnownWordTest(loaded);
        Assert.AreEqual((true, true, false), (isKnown("John"), isKnown("Zorblax"), isKnown("Frobs")));
        var known = KnownWordMetrics.Compute([(["John", "Zorblax", "Frobs"], ["PROPN", "PROPN", "VERB"], ["PROPN", "PROPN", "VERB"])], isKnown);
        Assert.AreEqual(2, known.KnownTokenCount);
    }

    [TestMethod]
    public void Train_StartsFromTheBundledVectors_UnlessNoneOrAnotherWidth()
    {
        var ml = new MLContext();
        SequenceTaggerModelParameters Trained(string name, params string[] more)
        {
            var model = PathOf(name);
            var run = CliProcess.Run(null, ["train", "--train", _sample, "--model", model, "--epochs", "1", "--seed", "1",
                "--units", "4", "--char-features", "none", .. more]);
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            return ml.SequenceTagging().GetModelParameters(SequenceTaggerModelFile.Load(ml, model, out _));
        }

        var bundled = Trained("bundled.zip");
        Assert.AreEqual("minilm-uncased-100d.vec.gz", Path.GetFileName(bundled.HyperParameters.EmbeddingsFile));
        Assert.AreEqual(100, bundled.HyperParameters.EmbeddingSize);
        CollectionAssert.Contains(bundled.Vocabulary.ToArray(), "zebra", "a word of the bundled vectors, not of the training file");
        Assert.IsTrue(bundled.Vocabulary.Count >= 23_695, $"the vectors' 23,695 words join the vocabulary; it has {bundled.Vocabulary.Count}");

        foreach (var (name, options) in new[] { ("none.zip", new[] { "--embeddings", "none" }), ("NONE.zip", ["--embeddings", "NONE"]), ("narrow.zip", ["--embedding", "8"]) })
        {
            var plain = Trained(name, options);
            Assert.IsNull(plain.HyperParameters.EmbeddingsFile, name);
            Assert.IsFalse(plain.Vocabulary.Contains("zebra"), name);
        }
    }

    [TestMethod]
    public void BadArchitectureValues_GiveOneLineNamingTheOption()
    {
        var output = PathOf("never.zip");
        string[] Train(params string[] more) => ["train", "--train", _sample, "--model", output, "--epochs", "1", .. more];
        CliAssert.UserError(CliProcess.Run(null, Train("--cell", "transformer")), "--cell: 'transformer' is not one of simple, lstm, gru");
        CliAssert.UserError(CliProcess.Run(null, Train("--cell", "1")), "--cell: '1' is not one of simple, lstm, gru");
        CliAssert.UserError(CliProcess.Run(null, Train("--char-features", "cnns")), "--char-features: 'cnns' is not one of none, cnn, bilstm");
        CliAssert.UserError(CliProcess.Run(null, Train("--layers", "0")), "--layers must be positive; received 0.");
        CliAssert.UserError(CliProcess.Run(null, Train("--layers", "9")), "--layers must be at most 8; received 9.");
        CliAssert.UserError(CliProcess.Run(null, Train("--dropout", "1")), "--dropout must be in [0, 1); received 1.");
        CliAssert.UserError(CliProcess.Run(null, Train("--dropout", "high")), "--dropout: 'high' is not a number");
        CliAssert.UserError(CliProcess.Run(null, Train("--ema", "1")), "--ema must be in [0, 1), 0 for no averaging; received 1.");
        CliAssert.UserError(CliProcess.Run(null, Train("--word-dropout", "-1")), "--word-dropout must be 0 (off) or a positive finite number; received -1.");
        CliAssert.UserError(CliProcess.Run(null, Train("--clip-norm", "-1")), "--clip-norm must be 0 (no clipping) or a positive number up to 3.4E+38; received -1.");
        CliAssert.UserError(CliProcess.Run(null, Train("--learning-rate", "1e300")), "--learning-rate must be a positive number up to 3.4E+38; received 1E+300.");
        var missing = PathOf("missing.vec");
        CliAssert.UserError(CliProcess.Run(null, Train("--embeddings", missing)), $"--embeddings {missing}: word vectors file not found");
        CliAssert.UserError(CliProcess.Run(null, Train("--units", "1300", "--embedding", "8", "--char-features", "none")),
            "The network would take 54,585,502 bytes in a model file, more than the 50,266,112 a model file holds: 13,645,412 weights, " +
            "600 of them the word embedding (75 words × --embedding 8). Use fewer word vectors, a higher --min-count or smaller layers.");
        var narrow = PathOf("narrow.vec");
        File.WriteAllLines(narrow, ["john 1 2 3"]);
        CliAssert.UserError(CliProcess.Run(null, Train("--embeddings", narrow, "--embedding", "4")),
            $"--embeddings: The word vectors in '{narrow}' have 3 dimensions; --embedding is 4. Set --embedding to 3.");
        Assert.IsFalse(File.Exists(output));
    }
}
