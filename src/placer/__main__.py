from placer.cli.start import main

main()
