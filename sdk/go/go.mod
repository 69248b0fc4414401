module latch.example/sdk/go

go 1.19
