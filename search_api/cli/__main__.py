from search_api.cli import main

main()
