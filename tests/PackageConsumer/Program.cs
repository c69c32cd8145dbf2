// A consumer of the MlNetRnn package: trains the seed S-V-O tagger through ML.NET and tags a sentence.
using Microsoft.ML;
using MlNetRnn.MlNet;

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(new[]
{
    new Labeled { Tokens = ["John", "loves", "Jane"], Tags = ["S", "V", "O"] },
    new Labeled { Tokens = ["Jane", "loves", "John"], Tags = ["S", "V", "O"] },
});
var options = new SequenceTaggerOptions { Epochs = 80, LearningRate = 0.05, EmbeddingSize = 8, Units = 16, BatchSize = 2 };
var model = ml.SequenceTagging().Trainers.SimpleRnn(options).Fit(train);
using var engine = ml.Model.CreatePredictionEngine<Sentence, SequenceTaggerPrediction>(model);
string tags = string.Join(" ", engine.Predict(new Sentence { Tokens = ["John", "loves", "Jane"] }).PredictedTags);
Console.WriteLine($"package consumer: John loves Jane -> {tags}");
return tags == "S V O" ? 0 : 1;

public sealed class Sentence
{
    public string[] Tokens { get; set; } = [];
}

public sealed class Labeled
{
    public string[] Tokens { get; set; } = [];
    public string[] Tags { get; set; } = [];
}
