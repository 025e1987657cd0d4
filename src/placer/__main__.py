from placer.cli.app import main

main()
